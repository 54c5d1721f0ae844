"""The cleaner and the chunker fuzzed on PDF-like text: random line breaks, page marks and
page-number lines, bullets, hyphenation at line ends, headings, stray characters. Nothing
crashes, every block and chunk is its exact span of the cleaned text, and no letter of the
source is lost or invented."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.chunking import ChunkerSettings, chunk_document
from indexer.cleaning import clean_pdf_pages, clean_pdf_text
from indexer.documents import CleanedDocument
from tests.indexer.test_chunking import _CHUNKERS, check_chunks, check_overlap

CASES = {"text": 0, "pages": 0}

_WORDS = (
    "Sverige ska verka för en öppen fri och säker cyberrymd samarbete inom EU Nato FN OSSE "
    "digitala frågor teknik handel säkerhet demokrati utveckling standarder dataflöden "
    "motståndskraft cyberangrepp AI 5G 2030 s.k. t.ex. bl.a. EU-nivå FN-stadgan (6G) – 16"
).split()
_HEADINGS = [
    "1. Inledning",
    "2. Säkerhetspolitik",
    "Samarbetet inom Nato",
    "Fokusområden",
    "Förord",
]
_BULLETS = ["•", "●", "▪", "◦", "i)", "ii)", "iv)"]
# What a PDF extractor also leaves: odd spaces, ligatures, soft hyphens, stray symbols.
_STRAY = st.sampled_from(["\u00a0", "\ufb01", "\u00ad", "\t", "*", "§", "“", "”", "\u2013", "‐"])


@st.composite
def _sentence(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.sampled_from(_WORDS), min_size=1, max_size=25))
    if draw(st.integers(0, 9)) == 0:
        words.insert(draw(st.integers(0, len(words))), draw(_STRAY))
    end = draw(st.sampled_from([".", ".", ".", "!", "?", "", ":", ";"]))
    text = " ".join(words)
    return text[0].upper() + text[1:] + end


@st.composite
def _wrapped(draw: st.DrawFn, text: str) -> list[str]:
    """`text` broken into lines at random widths, a word sometimes hyphenated at a break,
    each line with random trailing spaces (the PDF's)."""
    words = text.split(" ")
    lines: list[str] = []
    current: list[str] = []
    for word in words:
        current.append(word)
        if draw(st.integers(0, 6)) == 0:
            lines.append(" ".join(current))
            current = []
        elif len(word) > 6 and draw(st.integers(0, 12)) == 0:
            cut = draw(st.integers(2, len(word) - 2))
            current[-1] = word[:cut] + "-"
            lines.append(" ".join(current))
            current = [word[cut:]]
    if current:
        lines.append(" ".join(current))
    return [line + " " * draw(st.integers(0, 2)) for line in lines if line]


@st.composite
def pdf_pages(draw: st.DrawFn) -> list[list[str]]:
    """Pages of lines: headings, wrapped paragraphs, bullet items, page-number lines."""
    pages: list[list[str]] = []
    for number in range(1, draw(st.integers(1, 4)) + 1):
        lines: list[str] = []
        for _ in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(["heading", "paragraph", "paragraph", "bullets", "junk"]))
            if kind == "heading":
                lines.append(draw(st.sampled_from(_HEADINGS)) + " ")
            elif kind == "bullets":
                for _ in range(draw(st.integers(1, 4))):
                    bullet = draw(st.sampled_from(_BULLETS))
                    lines += draw(_wrapped(f"{bullet} {draw(_sentence())}"))
            elif kind == "junk":  # anything an extractor might produce, on one line
                lines.append(draw(st.text(max_size=30)).replace("\n", " ").replace("\r", " "))
            else:
                sentences = draw(st.lists(_sentence(), min_size=1, max_size=5))
                lines += draw(_wrapped(" ".join(sentences)))
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from([str(number), f"  {number}", f"{number} "])))
        pages.append([line for line in lines if line.strip()] or ["Tom sida."])
    return pages


def _as_raw_text(pages: list[list[str]], gaps: list[bool]) -> str:
    """The strategy's raw format: each line then an empty line, a page begins at a line
    with one leading space, a line of spaces is a visual gap."""
    out: list[str] = []
    for page in pages:
        for index, line in enumerate(page):
            text = line.lstrip()
            out.append((" " + text) if index == 0 else text)
            out.append(" " if gaps[(len(out)) % len(gaps)] else "")
    return "\n".join(out)


def _letters(text: str) -> str:
    return "".join(char for char in text if char.isalpha())


def _page_number(line: str) -> bool:
    return line.strip().isdigit() and len(line.strip()) <= 3


def _check_document(doc: CleanedDocument, source_letters: str, chunker: ChunkerSettings) -> None:
    previous_end = -2
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == block.text
        assert block.start == previous_end + 2
        assert block.text and block.text == block.text.strip()
        for offset, _page in block.page_marks:
            assert block.start <= offset < block.end
        previous_end = block.end
    assert previous_end == len(doc.text) or not doc.blocks
    # Nothing lost or invented: the letters are the source's, in order (headings, bullets,
    # joined hyphenations and all; page numbers and bullet marks are not letters).
    assert _letters(doc.text) == source_letters
    if doc.blocks and any(b.kind != "heading" for b in doc.blocks):
        chunks = chunk_document(doc, "Fuzz", chunker)
        check_chunks(doc, "Fuzz", chunks, chunker)
        check_overlap(chunks, chunker)


_SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


@_SETTINGS
@given(pdf_pages(), st.lists(st.booleans(), min_size=1, max_size=7), _CHUNKERS)
def test_raw_pdf_text_is_cleaned_and_chunked_into_exact_spans(
    pages: list[list[str]], gaps: list[bool], chunker: ChunkerSettings
) -> None:
    CASES["text"] += 1
    raw = _as_raw_text(pages, gaps)
    doc = clean_pdf_text("fuzz", raw)
    kept = [line for page in pages for line in page if not _page_number(line)]
    _check_document(doc, _letters("".join(kept)), chunker)


@_SETTINGS
@given(pdf_pages(), _CHUNKERS)
def test_pdf_pages_are_cleaned_and_chunked_into_exact_spans(
    pages: list[list[str]], chunker: ChunkerSettings
) -> None:
    CASES["pages"] += 1
    doc = clean_pdf_pages("fuzz", ["\n".join(lines) for lines in pages])
    kept = [line for page in pages for line in page if not _page_number(line)]
    _check_document(doc, _letters("".join(kept)), chunker)
    for block in doc.blocks:
        assert block.page is not None and 1 <= block.page <= len(pages)


def test_the_fuzz_ran_its_cases() -> None:
    """Runs after the two above (file order): the figures for the record."""
    if not any(CASES.values()):
        import pytest

        pytest.skip("the fuzz tests were not selected")
    print(f"\ncleaner+chunker fuzz: {CASES}")
    assert all(count >= 100 for count in CASES.values()), CASES
