"""The cleaner against the real strategy text and the real press release, plus small inputs."""

from __future__ import annotations

import re

import pytest

from indexer.chunking import ChunkerSettings, chunk_document
from indexer.cleaning import (
    RawBlock,
    assemble,
    clean_markdown,
    clean_pdf_pages,
    clean_pdf_text,
    pdf_page_lines,
    pdf_text_lines,
    unescape_markdown,
)
from indexer.documents import Block, CleanedDocument
from tests.indexer.support import CORPUS

SECURITY = "1. Säkerhetspolitik"
THREATS = "Utrikes- och säkerhetspolitisk hantering av antagonistiska cyberhot och cyberangrepp"
ITEM_III = (
    "iii) Stärka tillämpningen av folkrätten och den internationella "
    "människorättslagstiftningen inom cyberområdet"
)

# Every heading of the strategy, checked line by line against corpus/strategi.txt.
EXPECTED_HEADINGS: list[tuple[int, str]] = [
    (1, "Förord"),
    (1, "En digital värld"),
    (1, SECURITY),
    (2, "Strategiska digitala tekniker"),
    (2, THREATS),
    (3, "i) Motverka cyberhot och cyberangrepp"),
    (
        3,
        "ii) Stärka motståndskraften och förbättra kapaciteten på cyberområdet genom "
        "internationellt samarbete",
    ),
    (3, ITEM_III),
    (3, "iv) Verka för normer för staters ansvarsfulla uppträdande"),
    (3, "v) Stärka förtroendeskapande åtgärder"),
    (3, "vi) Värna det digitala informationsflödet"),
    (3, "vii) Främja internationellt samarbete kring systemhotande cyberbrottslighet"),
    (2, "Fokusområden – säkerhetspolitik"),
    (1, "2. Handel, välstånd och konkurrenskraft"),
    (2, "Handel och säkerhet som integrerade delar i svensk utrikespolitik"),
    (2, "Privat och offentlig samverkan"),
    (2, "EU:s utveckling och den digitala inre marknaden"),
    (2, "Leverantörssäkerhet inom strategiska teknikområden"),
    (2, "Infrastruktur"),
    (2, "Dataflöden, digitala handelshinder och lagring"),
    (2, "Standarder"),
    (2, "Cybersäkerhetscertifiering"),
    (2, "Fokusområden – handel, välstånd och konkurrenskraft"),
    (1, "3. Utveckling och demokrati"),
    (2, "Digitalisering och demokrati"),
    (2, "Digitalisering och utveckling"),
    (2, "Kapacitetsuppbyggnad och kapacitetsutveckling inom digitalisering och cybersäkerhet"),
    (2, "Sveriges utvecklingssamarbete inom digitalisering och cybersäkerhet"),
    (2, "Multilaterala samarbeten"),
    (2, "Digitalisering och jämställdhet"),
    (2, "Fokusområden – utveckling och demokrati"),
    (1, "4. Internationella samarbeten"),
    (2, "EU:s cyberdiplomati och digitala diplomati"),
    (2, "Samarbetet inom Nato"),
    (2, "Nordiskt och nordiskt-baltiskt samarbete"),
    (2, "Samarbete med USA"),
    (2, "Strategiska partners"),
    (2, "FN och multilaterala organisationer"),
    (2, "OSSE"),
    (2, "Världsbanken"),
    (2, "Fokusområden – internationella samarbeten"),
]

FOREWORD_FIRST = (
    "Den utrikes- och säkerhetspolitiska dagordningen för att hantera cyberfrågor och digitala "
    "frågor växer i omfattning och betydelse. Framväxten av nya strategiska digitala tekniker som "
    "artificiell intelligens, kvantteknik, avancerade halvledare och nästa generationens "
    "kommunikationsnätverk (6G) är viktiga faktorer för internationellt samarbete och globala "
    "maktförhållanden. EU är, i kraft av sin roll som ledande global aktör, med en bredd av "
    "instrument till förfogande, Sveriges viktigaste utrikespolitiska plattform också kring "
    "cyberfrågor och digitala frågor."
)
FOREIGN_INTEREST = (
    "Det finns ett stort utländskt intresse för svensk teknikutveckling. Intresset är positivt och "
    "leder till kommersiella samarbeten och utländska direktinvesteringar. Men det finns även "
    "utmaningar med uppköp av svenska företag, inte minst forskningsintensiva små företag, samt "
    "i ökad utsträckning även industrispionage. Det finns därför ett behov av att skydda "
    "nationella säkerhetsintressen."
)
OSCE_PARAGRAPH = (
    "Organisationen för säkerhet och samarbete i Europa (OSSE) har antagit 16 "
    "förtroendeskapande åtgärder på cyberområdet. Bland annat har ett kontaktpunktssystem "
    "etablerats där de 57 deltagande staterna anger politiska och tekniska kontaktuppgifter för "
    "att kunna utbyta information (exempelvis i händelse av cyberincidenter). Cyberfrågorna "
    "diskuteras återkommande i en informell arbetsgrupp. Sverige stödjer OSSE:s fortsatta arbete "
    "med cyberfrågor. Sverige har tillsammans med andra länder åtagit sig att driva och utveckla "
    "den förtroendeskapande mekanismen om offentlig och privat samverkan."
)


@pytest.fixture(scope="module")
def strategy() -> CleanedDocument:
    return clean_pdf_text("strategi", (CORPUS / "strategi.txt").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def press() -> CleanedDocument:
    return clean_markdown("pressmeddelande", (CORPUS / "pressmeddelande.md").read_text("utf-8"))


def block_starting(doc: CleanedDocument, prefix: str) -> Block:
    matches = [b for b in doc.blocks if b.text.startswith(prefix)]
    assert len(matches) == 1, f"{len(matches)} blocks start with {prefix!r}"
    return matches[0]


def blocks_after_heading(doc: CleanedDocument, heading: str) -> list[Block]:
    """The body blocks between `heading` and the next heading."""
    index = next(i for i, b in enumerate(doc.blocks) if b.kind == "heading" and b.text == heading)
    body: list[Block] = []
    for block in doc.blocks[index + 1 :]:
        if block.kind == "heading":
            break
        body.append(block)
    return body


# The strategy: raw PDF text


def test_every_heading_is_found_with_its_level(strategy: CleanedDocument) -> None:
    assert [(b.level, b.text) for b in strategy.headings()] == EXPECTED_HEADINGS


def test_the_page_number_line_is_dropped(strategy: CleanedDocument) -> None:
    # "20" sits alone between two pages of the raw text; it is the only "20" in the file.
    assert re.search(r"^20\s*$", (CORPUS / "strategi.txt").read_text("utf-8"), re.MULTILINE)
    assert "2030" in strategy.text  # years are text, not page numbers
    chunks = chunk_document(strategy, "Strategi", ChunkerSettings())
    for text in [b.text for b in strategy.blocks] + [c.text for c in chunks]:
        assert not re.search(r"\b20\s*$", text), text[-80:]
        assert not re.search(r"\b20\b", text), text
    alliance = block_starting(strategy, "EU har potential att ta en än mer framträdande roll")
    assert alliance.text.endswith("(EU-LAC Digital Alliance).")
    following = strategy.blocks[strategy.blocks.index(alliance) + 1]
    assert following.text.startswith("EU har också instrument för att bidra med stöd")


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("Den utrikes- och säkerhetspolitiska dagordningen", FOREWORD_FIRST),
        ("Det finns ett stort utländskt intresse", FOREIGN_INTEREST),
        ("Organisationen för säkerhet och samarbete i Europa", OSCE_PARAGRAPH),
    ],
)
def test_wrapped_lines_are_rejoined_into_paragraphs(
    strategy: CleanedDocument, prefix: str, expected: str
) -> None:
    block = block_starting(strategy, prefix)
    assert block.kind == "paragraph"
    assert block.text == expected


def test_the_foreword_has_four_paragraphs_and_a_signature(strategy: CleanedDocument) -> None:
    body = blocks_after_heading(strategy, "Förord")
    assert [b.kind for b in body] == ["paragraph"] * 6
    assert body[0].text.endswith("cyberfrågor och digitala frågor.")
    assert body[1].text.endswith("värna Sveriges säkerhet, välstånd och konkurrenskraft")
    assert body[2].text.startswith("För svensk utrikesförvaltning")
    assert [b.text for b in body[4:]] == ["Maria Malmer Stenergard", "Utrikesminister"]


def test_bullets_are_separate_blocks_without_the_bullet_character(
    strategy: CleanedDocument,
) -> None:
    body = blocks_after_heading(strategy, "Fokusområden – säkerhetspolitik")
    assert [b.kind for b in body] == ["bullet"] * 8
    assert body[0].text == (
        "Utveckla Sveriges internationella samarbeten kring AI och annan strategisk ny teknik, "
        "inklusive säkerhetsaspekter, med prioriterade samarbetsländer, organisationer och aktörer."
    )
    assert (
        body[-1].text
        == "Utveckla utrikesförvaltningens kompetens inom cyberfrågor och digitala frågor."
    )
    assert not any("•" in b.text for b in strategy.blocks)
    assert sum(b.kind == "bullet" for b in strategy.blocks) == 8 + 12 + 5 + 9


@pytest.mark.parametrize(
    "joined",
    ["AI-kapplöpning", "FN-stadgan i sin helhet", "EU-kommissionen har", "EU-gemensamma regler"],
)
def test_a_hyphen_glued_to_a_line_end_joins_the_compound(
    strategy: CleanedDocument, joined: str
) -> None:
    assert joined in strategy.text
    head, tail = joined.split("-", 1)
    assert f"{head}- {tail}" not in strategy.text


@pytest.mark.parametrize(
    "suspended", ["säkerhets- och försvarspolitisk", "nätverks- och informationssystem är hög"]
)
def test_a_suspended_hyphen_keeps_its_space(strategy: CleanedDocument, suspended: str) -> None:
    assert suspended in strategy.text
    assert suspended.replace("- ", "-") not in strategy.text


def test_pages_of_blocks(strategy: CleanedDocument) -> None:
    assert strategy.headings()[0].text == "Förord"
    assert strategy.headings()[0].page == 1
    assert blocks_after_heading(strategy, "Samarbetet inom Nato")[0].page == 17
    osce = next(b for b in strategy.headings() if b.text == "OSSE")
    assert osce.page == 19
    assert blocks_after_heading(strategy, "OSSE")[0].page == 19
    assert (
        blocks_after_heading(strategy, "Fokusområden – internationella samarbeten")[-1].page == 20
    )
    pages = [b.page for b in strategy.blocks if b.page is not None]
    assert len(pages) == len(strategy.blocks)
    assert pages == sorted(pages)
    assert set(pages) == set(range(1, 21))


def test_a_paragraph_across_a_page_break_has_a_page_mark(strategy: CleanedDocument) -> None:
    block = block_starting(strategy, "Sverige står inför en rad utmaningar")
    assert block.page_at(block.start) == 2
    assert block.page_at(block.end - 1) == 3
    (mark_offset, mark_page), *_ = block.page_marks
    assert mark_page == 3
    # Page 3 of the raw text begins with " fördjupa säkerhetspolitiska samarbeten".
    assert strategy.text[mark_offset:].startswith("fördjupa säkerhetspolitiska samarbeten")
    assert block.page_at(mark_offset - 1) == 2
    assert block.page_at(mark_offset) == 3


def test_page_marks_lie_inside_their_blocks(strategy: CleanedDocument) -> None:
    marked = [b for b in strategy.blocks if b.page_marks]
    assert len(marked) >= 5
    for block in marked:
        for offset, page in block.page_marks:
            assert block.start < offset < block.end
            assert block.page is not None and page > block.page


def test_heading_paths(strategy: CleanedDocument) -> None:
    body = blocks_after_heading(strategy, ITEM_III)
    assert len(body) == 1
    assert body[0].heading_path == (SECURITY, THREATS, ITEM_III)
    assert body[0].text.startswith("Sverige eftersträvar efterlevnad av en regelbaserad")
    nato = blocks_after_heading(strategy, "Samarbetet inom Nato")[0]
    assert nato.heading_path == ("4. Internationella samarbeten", "Samarbetet inom Nato")
    # A level-1 chapter closes the items and sections of the chapter before it.
    trade = blocks_after_heading(strategy, "2. Handel, välstånd och konkurrenskraft")[0]
    assert trade.heading_path == ("2. Handel, välstånd och konkurrenskraft",)
    for block in strategy.blocks:
        if block.kind == "heading":
            assert block.heading_path[-1] == block.text
            assert len(block.heading_path) <= block.level


def test_a_signature_is_a_paragraph_not_a_heading(strategy: CleanedDocument) -> None:
    signature = block_starting(strategy, "Maria Malmer Stenergard")
    assert signature.kind == "paragraph"
    assert signature.heading_path == ("Förord",)
    assert "Maria Malmer Stenergard" not in {b.text for b in strategy.headings()}


def test_a_lead_in_before_numbered_items_is_a_paragraph(strategy: CleanedDocument) -> None:
    lead_in = block_starting(strategy, "Arbetet för att direkt och indirekt bemöta")
    assert lead_in.kind == "paragraph"
    assert lead_in.text.endswith("omfattar bland annat:")


@pytest.mark.parametrize("name", ["strategy", "press"])
def test_every_block_is_its_span_of_the_cleaned_text(
    name: str, request: pytest.FixtureRequest
) -> None:
    doc: CleanedDocument = request.getfixturevalue(name)
    previous_end = -2
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text
        assert block.start == previous_end + 2  # blocks are separated by one blank line
        assert block.text == block.text.strip() and block.text
        previous_end = block.end
    assert previous_end == len(doc.text)


# The press release: Markdown


def test_markdown_escapes_are_removed(press: CleanedDocument) -> None:
    assert "\\" in (CORPUS / "pressmeddelande.md").read_text("utf-8")
    assert "\\" not in press.text
    for phrase in ["ransomware-angrepp", "6G-teknik", "EU- och Natomedlemskap", "telekom-nät"]:
        assert phrase in press.text


def test_markdown_structure(press: CleanedDocument) -> None:
    headings = press.headings()
    assert [(h.level, h.text) for h in headings] == [
        (1, "Bilateral dialog mellan Sverige och USA om cyber- och digitala frågor")
    ]
    body = [b for b in press.blocks if b.kind != "heading"]
    assert len(body) == 7
    assert all(b.kind == "paragraph" and b.page is None for b in body)
    assert all(b.heading_path == (headings[0].text,) for b in body)
    assert body[1].text.startswith("– Ett nära bilateralt")
    assert body[-1].text.endswith("särskilt sändebud för internationella cyberfrågor.")


def test_markdown_headings_bullets_and_wrapped_paragraphs() -> None:
    raw = (
        "# Titel #\n\nFörsta raden\nfortsätter här.\n\n## Del\n- punkt ett\n* punkt \\*två\\*\n"
        "\n### Under\nText med \\_understreck\\_ och \\[hakar\\].\n"
    )
    doc = clean_markdown("md", raw)
    assert [(b.kind, b.level, b.text) for b in doc.blocks] == [
        ("heading", 1, "Titel"),
        ("paragraph", 0, "Första raden fortsätter här."),
        ("heading", 2, "Del"),
        ("bullet", 0, "punkt ett"),
        ("bullet", 0, "punkt *två*"),
        ("heading", 3, "Under"),
        ("paragraph", 0, "Text med _understreck_ och [hakar]."),
    ]
    assert doc.blocks[-1].heading_path == ("Titel", "Del", "Under")


def test_unescape_markdown_keeps_other_backslashes() -> None:
    assert unescape_markdown(r"a\-b \\ c\d") == r"a-b \ c\d"


# Small synthetic inputs


def test_pdf_text_lines_counts_a_page_at_each_single_leading_space() -> None:
    raw = (
        " Förord \n\nFörsta raden i stycket \n\nandra raden.  \n\n  två blanksteg \n\n"
        " Andra sidan\n\nText.\n\n Tredje sidan\n"
    )
    lines = pdf_text_lines(raw)
    assert [(line.text, line.page) for line in lines] == [
        ("Förord", 1),
        ("Första raden i stycket", 1),
        ("andra raden.", 1),
        ("två blanksteg", 1),
        ("Andra sidan", 2),
        ("Text.", 2),
        ("Tredje sidan", 3),
    ]
    assert [line.trailing_spaces for line in lines[:3]] == [1, 1, 2]


def test_pdf_text_lines_whitespace_only_lines_are_gaps_empty_lines_are_not() -> None:
    lines = pdf_text_lines("Ett\n\nTvå\n   \nTre\n\n\n\nFyra\r\n \r\nFem\n")
    assert [(line.text, line.gap_before) for line in lines] == [
        ("Ett", False),
        ("Två", False),
        ("Tre", True),
        ("Fyra", False),
        ("Fem", True),
    ]


def test_pdf_text_lines_drops_page_number_lines_but_keeps_the_gap() -> None:
    lines = pdf_text_lines("Slutet av en sida.\n\n   \n\n20 \n\nNästa sida\n\nÅr 2030 och 12 mål\n")
    assert [line.text for line in lines] == [
        "Slutet av en sida.",
        "Nästa sida",
        "År 2030 och 12 mål",
    ]
    assert lines[1].gap_before


def test_pdf_text_lines_normalises_inner_whitespace() -> None:
    (line,) = pdf_text_lines("Ord   med \t luckor  \n")
    assert line.text == "Ord med luckor"
    assert line.trailing_spaces == 2


def test_pdf_page_lines_numbers_pages_from_the_list() -> None:
    lines = pdf_page_lines(["Rubrik\nText här.\n\nMer text.\n3", "Sida två.\r\n 12 ", "", "Sist"])
    assert [(line.text, line.page, line.gap_before) for line in lines] == [
        ("Rubrik", 1, False),
        ("Text här.", 1, False),
        ("Mer text.", 1, True),
        ("Sida två.", 2, False),
        ("Sist", 4, False),
    ]


def test_clean_pdf_pages_gives_blocks_their_pages() -> None:
    doc = clean_pdf_pages(
        "pdf",
        [
            "Inledning\nSverige ska verka för en öppen och säker cyberrymd i hela världen.\n"
            "Slut här.",
            "Samarbete\nSverige vill fördjupa samarbetet inom Nato och EU.\n2",
        ],
    )
    assert [(b.kind, b.text, b.page) for b in doc.blocks] == [
        ("heading", "Inledning", 1),
        (
            "paragraph",
            "Sverige ska verka för en öppen och säker cyberrymd i hela världen. Slut här.",
            1,
        ),
        ("heading", "Samarbete", 2),
        ("paragraph", "Sverige vill fördjupa samarbetet inom Nato och EU.", 2),
    ]
    assert doc.blocks[3].heading_path == ("Samarbete",)


def test_clean_pdf_pages_marks_a_paragraph_that_runs_onto_the_next_page() -> None:
    doc = clean_pdf_pages(
        "pdf",
        [
            "Rubrik\nDetta stycke börjar på den första sidan och fortsätter\n",
            "på den andra sidan utan avbrott.\n",
        ],
    )
    paragraph = doc.blocks[1]
    assert paragraph.text == (
        "Detta stycke börjar på den första sidan och fortsätter på den andra sidan utan avbrott."
    )
    assert (paragraph.page_at(paragraph.start), paragraph.page_at(paragraph.end - 1)) == (1, 2)
    assert doc.text[paragraph.page_marks[0][0] :].startswith("på den andra sidan")


def test_a_wrapped_numbered_heading_is_joined() -> None:
    raw = (
        "1. Kapitel\n\nEn lång inledande mening som fyller hela raden i dokumentet och mer.\n\n"
        "ii) Stärka motståndskraften och förbättra kapaciteten på området genom\n\n"
        "samarbete\n\nText efter rubriken som också är en lång rad i dokumentet.\n"
    )
    doc = clean_pdf_text("x", raw)
    assert [(h.level, h.text) for h in doc.headings()] == [
        (1, "1. Kapitel"),
        (3, "ii) Stärka motståndskraften och förbättra kapaciteten på området genom samarbete"),
    ]


def test_assemble_lays_out_blocks_with_separators_and_paths() -> None:
    doc = assemble(
        "d",
        [
            RawBlock("heading", "A", 1, 1),
            RawBlock("paragraph", "Ett.", 1),
            RawBlock("heading", "B", 2, 2),
            RawBlock("bullet", "Två", 2, page_marks=((1, 3),)),
            RawBlock("heading", "C", 3, 1),
            RawBlock("paragraph", "Tre.", 3),
        ],
    )
    assert doc.text == "A\n\nEtt.\n\nB\n\nTvå\n\nC\n\nTre."
    assert [b.heading_path for b in doc.blocks] == [
        ("A",),
        ("A",),
        ("A", "B"),
        ("A", "B"),
        ("C",),
        ("C",),
    ]
    bullet = doc.blocks[3]
    assert bullet.page_marks == ((bullet.start + 1, 3),)
    assert (bullet.page_at(bullet.start), bullet.page_at(bullet.start + 1)) == (2, 3)
