"""Chunking: exact spans of cleaned text that never cross a section, on real and random text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.chunking import ChunkerSettings, chunk_document
from indexer.cleaning import RawBlock, assemble
from indexer.corpus import load_manifest, read_document
from indexer.documents import Block, Chunk, CleanedDocument, Span
from indexer.sentences import split_sentences
from tests.indexer.support import CORPUS

DEFAULT = ChunkerSettings()


@pytest.fixture(scope="module")
def documents() -> dict[str, tuple[str, CleanedDocument]]:
    """The real corpus, cleaned: doc id → (title, document)."""
    return {
        entry.id: (entry.title, read_document(CORPUS, entry))
        for entry in load_manifest(CORPUS / "manifest.toml")
    }


def chunk_all(
    documents: dict[str, tuple[str, CleanedDocument]], chunker: ChunkerSettings
) -> dict[str, list[Chunk]]:
    return {
        doc_id: chunk_document(doc, title, chunker) for doc_id, (title, doc) in documents.items()
    }


def body_sentences(doc: CleanedDocument) -> list[tuple[int, int]]:
    """Every sentence of the document's text blocks; a bullet item counts as one."""
    spans: list[tuple[int, int]] = []
    for block in doc.blocks:
        if block.kind == "bullet":
            spans.append((block.start, block.end))
        elif block.kind == "paragraph":
            spans += [(s.start, s.end) for s in split_sentences(block.text, offset=block.start)]
    return spans


def absolute_sentences(chunk: Chunk) -> list[tuple[int, int]]:
    return [(chunk.start + s.start, chunk.start + s.end) for s in chunk.sentences]


def overlapping_blocks(doc: CleanedDocument, chunk: Chunk) -> list[Block]:
    return [b for b in doc.blocks if b.start < chunk.end and chunk.start < b.end]


def check_chunks(
    doc: CleanedDocument, title: str, chunks: list[Chunk], chunker: ChunkerSettings
) -> None:
    """The invariants every chunking must keep, on any document and any settings."""
    assert [c.chunk_id for c in chunks] == [f"{doc.doc_id}:{i:04d}" for i in range(len(chunks))]
    covered: set[tuple[int, int]] = set()
    for chunk in chunks:
        assert chunk.doc_id == doc.doc_id and chunk.title == title
        # The exact span of the cleaned text.
        assert chunk.text == doc.text[chunk.start : chunk.end]
        assert chunk.text and chunk.text == chunk.text.strip()
        # Never across a section: only text blocks of one heading path, no heading inside.
        blocks = overlapping_blocks(doc, chunk)
        assert blocks, chunk.chunk_id
        assert all(b.kind != "heading" for b in blocks), chunk.chunk_id
        assert {b.heading_path for b in blocks} == {chunk.heading_path}, chunk.chunk_id
        # Sentence spans are exact, non-empty, ordered, and the chunk runs first to last.
        assert chunk.sentences
        assert chunk.sentences[0].start == 0 and chunk.sentences[-1].end == len(chunk.text)
        for sentence in chunk.sentences:
            piece = chunk.text[sentence.start : sentence.end]
            assert piece and piece == piece.strip()
        for a, b in zip(chunk.sentences, chunk.sentences[1:], strict=False):
            assert a.end < b.start
        covered.update(absolute_sentences(chunk))
        # Only a single sentence (or bullet item) bigger than the limit may exceed it.
        if chunk.word_count > chunker.max_words:
            assert len(chunk.sentences) == 1, chunk.chunk_id
        assert chunk.word_count == sum(len(t.split()) for t in chunk.sentence_texts())
    # Chunk sentences are the document's sentences, and every one of them is in a chunk.
    assert covered == set(body_sentences(doc))


def check_overlap(chunks: list[Chunk], chunker: ChunkerSettings) -> list[int]:
    """Consecutive chunks of a section share none or exactly the last `overlap` sentences."""
    shared_counts: list[int] = []
    for before, after in zip(chunks, chunks[1:], strict=False):
        if before.heading_path != after.heading_path:
            assert after.start > before.end
            continue
        previous = absolute_sentences(before)
        shared = [s for s in absolute_sentences(after) if s in previous]
        expected = min(chunker.overlap_sentences, len(previous))
        assert len(shared) in (0, expected)
        assert shared == previous[len(previous) - len(shared) :]
        if not shared:
            assert after.start > before.end
        shared_counts.append(len(shared))
    return shared_counts


# The real corpus


@pytest.mark.parametrize(
    "chunker",
    [DEFAULT, ChunkerSettings(overlap_sentences=0), ChunkerSettings(20, 40, 2)],
    ids=["default", "no-overlap", "small"],
)
def test_real_corpus_chunks_keep_every_invariant(
    documents: dict[str, tuple[str, CleanedDocument]], chunker: ChunkerSettings
) -> None:
    for doc_id, chunks in chunk_all(documents, chunker).items():
        title, doc = documents[doc_id]
        check_chunks(doc, title, chunks, chunker)
        check_overlap(chunks, chunker)


def test_real_corpus_chunk_ids_and_sizes(documents: dict[str, tuple[str, CleanedDocument]]) -> None:
    chunks = chunk_all(documents, DEFAULT)
    strategy = chunks["strategi"]
    assert strategy[0].chunk_id == "strategi:0000"
    assert strategy[0].heading_path == ("Förord",)
    assert strategy[0].text.startswith("Den utrikes- och säkerhetspolitiska dagordningen")
    assert (strategy[0].page_start, strategy[0].page_end) == (1, 1)
    assert strategy[-1].heading_path[-1] == "Fokusområden – internationella samarbeten"
    assert strategy[-1].page_end == 20
    every = [c for doc_chunks in chunks.values() for c in doc_chunks]
    assert len({c.chunk_id for c in every}) == len(every)
    assert 40 <= len(strategy) <= 90
    assert all(c.word_count <= DEFAULT.max_words for c in every)
    # Chunks are sized to the target: most of them are well filled.
    assert sum(c.word_count >= 80 for c in strategy) >= len(strategy) // 2


def test_default_overlap_is_exactly_one_sentence(
    documents: dict[str, tuple[str, CleanedDocument]],
) -> None:
    pairs = 0
    for chunks in chunk_all(documents, DEFAULT).values():
        for before, after in zip(chunks, chunks[1:], strict=False):
            if before.heading_path == after.heading_path:
                pairs += 1
                assert before.sentence_texts()[-1] == after.sentence_texts()[0]
                assert absolute_sentences(before)[-1] == absolute_sentences(after)[0]
                assert absolute_sentences(before)[-2] not in absolute_sentences(after)
    assert pairs >= 10


def test_no_overlap_when_overlap_is_zero(
    documents: dict[str, tuple[str, CleanedDocument]],
) -> None:
    chunker = ChunkerSettings(overlap_sentences=0)
    for chunks in chunk_all(documents, chunker).values():
        assert set(check_overlap(chunks, chunker)) <= {0}
        for before, after in zip(chunks, chunks[1:], strict=False):
            assert after.start > before.end


def test_pages_of_real_chunks(documents: dict[str, tuple[str, CleanedDocument]]) -> None:
    strategy = chunk_all(documents, DEFAULT)["strategi"]
    nato = next(c for c in strategy if c.heading_path[-1] == "Samarbetet inom Nato")
    assert (nato.page_start, nato.page_end) == (17, 17)
    crossing = next(c for c in strategy if "fördjupa säkerhetspolitiska samarbeten om ny" in c.text)
    assert (crossing.page_start, crossing.page_end) == (2, 3)
    assert all(c.page_start is not None and c.page_start <= (c.page_end or 0) for c in strategy)
    press = chunk_all(documents, DEFAULT)["pressmeddelande"]
    assert all(c.page_start is None and c.page_end is None for c in press)


# Lead-in paragraphs and their lists


def lead_in_document(intro_words: int, items: int, item_words: int) -> CleanedDocument:
    sentence = "Sverige ska verka för en öppen och säker digital värld i samarbete med andra."
    per_sentence = len(sentence.split())
    intro = " ".join([sentence] * max(1, intro_words // per_sentence))
    item = " ".join(["Främja"] + ["samarbete"] * (item_words - 1))
    return assemble(
        "leadin",
        [
            RawBlock("heading", "Fokus", 1, 1),
            RawBlock("paragraph", intro, 1),
            RawBlock("paragraph", "Arbetet omfattar bland annat:", 1),
            *[RawBlock("bullet", f"{item} {n}.", 1) for n in range(items)],
            RawBlock("paragraph", "Detta avslutar avsnittet.", 1),
        ],
    )


def chunks_with(chunks: list[Chunk], text: str) -> list[Chunk]:
    return [c for c in chunks if text in c.text]


def test_a_lead_in_stays_with_its_list_when_it_fits() -> None:
    # 120 intro words + a 5-word lead-in would fit the target, leaving the list behind;
    # kept together, lead-in and list (45 words) move on to the next chunk as one unit.
    doc = lead_in_document(intro_words=120, items=4, item_words=9)
    chunks = chunk_document(doc, "T", DEFAULT)
    check_chunks(doc, "T", chunks, DEFAULT)
    (holder,) = [c for c in chunks_with(chunks, "Arbetet omfattar") if "0." in c.text]
    for n in range(4):
        assert f"samarbete {n}." in holder.text
    assert holder.text.index("Arbetet omfattar") < holder.text.index("samarbete 0.")
    assert chunks_with(chunks, "Arbetet omfattar") == [holder]
    # Without the rule the lead-in would have ended the first chunk.
    assert not chunks[0].text.endswith("Arbetet omfattar bland annat:")


def test_a_list_too_big_for_one_chunk_is_split_but_fully_covered() -> None:
    chunker = ChunkerSettings(target_words=30, max_words=40, overlap_sentences=1)
    doc = lead_in_document(intro_words=14, items=6, item_words=10)
    chunks = chunk_document(doc, "T", chunker)
    check_chunks(doc, "T", chunks, chunker)
    assert len({c.chunk_id for c in chunks_with(chunks, "samarbete")}) > 1


def test_a_lead_in_without_a_list_is_an_ordinary_paragraph(
    documents: dict[str, tuple[str, CleanedDocument]],
) -> None:
    # In the strategy the lead-in "… omfattar bland annat:" is followed by item headings.
    chunks = chunk_all(documents, DEFAULT)["strategi"]
    (holder,) = chunks_with(chunks, "omfattar bland annat:")
    assert holder.text.endswith("omfattar bland annat:")
    assert holder.heading_path[-1].startswith("Utrikes- och säkerhetspolitisk hantering")


# Settings


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target_words": 300, "max_words": 220}, "target_words"),
        ({"target_words": 19, "max_words": 220}, "target_words"),
        ({"overlap_sentences": 4}, "overlap_sentences"),
        ({"overlap_sentences": -1}, "overlap_sentences"),
    ],
)
def test_invalid_chunker_settings_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChunkerSettings(**kwargs)


def test_boundary_chunker_settings_are_accepted() -> None:
    assert ChunkerSettings(20, 20, 0).max_words == 20
    assert ChunkerSettings(overlap_sentences=3).overlap_sentences == 3


# Random documents

_WORDS = (
    "sverige ska verka för en öppen fri och säker cyberrymd samarbete inom eu nato fn osse "
    "digitala frågor teknik handel säkerhet demokrati utveckling standarder dataflöden "
    "motståndskraft cyberangrepp AI 5G 2030 s.k. t.ex. dvs. bl.a. EU-nivå FN-stadgan"
).split()
_HEADINGS = ["Inledning", "Nato", "EU", "Handel", "Fokusområden"]


def _sentence(words: list[str], end: str) -> str:
    text = " ".join(words)
    return text[0].upper() + text[1:] + end


_SENTENCES = st.builds(
    _sentence,
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=30),
    st.sampled_from([".", ".", ".", "!", "?", "", ";"]),
)
_PARAGRAPH = st.lists(_SENTENCES, min_size=1, max_size=6).map(" ".join)
_LEAD_IN = st.tuples(
    _PARAGRAPH.map(lambda text: text.rstrip(".!?;") + ":"),
    st.lists(_SENTENCES, min_size=1, max_size=5),
)


@st.composite
def raw_documents(draw: st.DrawFn) -> list[RawBlock]:
    blocks: list[RawBlock] = []
    for _ in range(draw(st.integers(min_value=1, max_value=14))):
        kind = draw(st.sampled_from(["heading", "paragraph", "paragraph", "bullet", "lead-in"]))
        page = draw(st.integers(min_value=1, max_value=3))
        if kind == "heading":
            level = draw(st.integers(min_value=1, max_value=3))
            blocks.append(RawBlock("heading", draw(st.sampled_from(_HEADINGS)), page, level))
        elif kind == "lead-in":
            lead_in, items = draw(_LEAD_IN)
            blocks.append(RawBlock("paragraph", lead_in, page))
            blocks += [RawBlock("bullet", item, page) for item in items]
        elif kind == "bullet":
            blocks.append(RawBlock("bullet", draw(_SENTENCES), page))
        else:
            text = draw(_PARAGRAPH)
            marks: tuple[tuple[int, int], ...] = ()
            spaces = [m.start() + 1 for m in re.finditer(" ", text)]
            add_mark: bool = draw(st.booleans())
            if spaces and add_mark:
                marks = ((draw(st.sampled_from(spaces)), page + 1),)
            blocks.append(RawBlock("paragraph", text, page, page_marks=marks))
    return blocks


_CHUNKERS = st.builds(
    lambda target, extra, overlap: ChunkerSettings(target, target + extra, overlap),
    st.integers(min_value=20, max_value=80),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=3),
)


@settings(max_examples=60, deadline=None, database=None)
@given(raw_documents(), _CHUNKERS)
def test_random_documents_keep_every_chunk_invariant(
    raw: list[RawBlock], chunker: ChunkerSettings
) -> None:
    doc = assemble("rnd", raw)
    chunks = chunk_document(doc, "Slump", chunker)
    check_chunks(doc, "Slump", chunks, chunker)
    check_overlap(chunks, chunker)
    for chunk in chunks:
        first = next(b for b in doc.blocks if b.start <= chunk.start < b.end)
        last = next(b for b in doc.blocks if b.start < chunk.end <= b.end)
        assert chunk.page_start == first.page_at(chunk.start)
        assert chunk.page_end == last.page_at(chunk.end - 1)


@settings(max_examples=60, deadline=None, database=None)
@given(raw_documents())
def test_random_documents_with_repeated_headings_keep_sections_apart(
    raw: list[RawBlock],
) -> None:
    # The same heading text twice in a row, with an empty section between, is two sections.
    doc = assemble(
        "rep",
        [
            RawBlock("heading", "Nato", 1, 1),
            RawBlock("paragraph", "Första avsnittet.", 1),
            RawBlock("heading", "Tomt", 1, 2),
            RawBlock("heading", "Nato", 1, 1),
            RawBlock("paragraph", "Andra avsnittet.", 1),
            *raw,
        ],
    )
    chunks = chunk_document(doc, "Rep", DEFAULT)
    check_chunks(doc, "Rep", chunks, DEFAULT)
    assert chunks[0].text == "Första avsnittet."
    assert chunks[1].text.startswith("Andra avsnittet.")
    assert chunks[0].heading_path == chunks[1].heading_path == ("Nato",)


def test_chunk_spans_are_spans() -> None:
    doc = assemble("s", [RawBlock("paragraph", "En mening. En till.", 1)])
    (chunk,) = chunk_document(doc, "S", DEFAULT)
    assert chunk.sentences == (Span(0, 10), Span(11, 19))
    assert chunk.sentence_texts() == ["En mening.", "En till."]
