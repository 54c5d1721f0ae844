"""The reading view's pure parts: the heading tree and the overlap between passages."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st

from app.reading import TocEntry, build_toc, overlaps
from indexer.documents import Chunk


def test_headings_nest_and_point_at_the_first_passage_under_them() -> None:
    toc = build_toc(
        [
            ("d:0", ("Förord",)),
            ("d:1", ("Förord",)),
            ("d:2", ("1. Säkerhet",)),
            ("d:3", ("1. Säkerhet", "Teknik")),
            ("d:4", ("1. Säkerhet", "Cyberhot", "i) Motverka")),
            ("d:5", ("1. Säkerhet", "Cyberhot", "ii) Stärka")),
            # A chapter with no passage of its own starts at its first section's.
            ("d:6", ("2. Samarbeten", "EU")),
            ("d:7", ("2. Samarbeten", "Nato")),
        ]
    )
    assert toc == (
        TocEntry("Förord", "d:0"),
        TocEntry(
            "1. Säkerhet",
            "d:2",
            (
                TocEntry("Teknik", "d:3"),
                TocEntry(
                    "Cyberhot",
                    "d:4",
                    (TocEntry("i) Motverka", "d:4"), TocEntry("ii) Stärka", "d:5")),
                ),
            ),
        ),
        TocEntry("2. Samarbeten", "d:6", (TocEntry("EU", "d:6"), TocEntry("Nato", "d:7"))),
    )


def test_a_heading_that_comes_back_is_a_new_entry_and_no_heading_adds_nothing() -> None:
    toc = build_toc([("d:0", ()), ("d:1", ("A",)), ("d:2", ("B",)), ("d:3", ("A",))])
    assert [(e.title, e.chunk_id) for e in toc] == [("A", "d:1"), ("B", "d:2"), ("A", "d:3")]
    assert build_toc([]) == ()


def _walk(
    entries: tuple[TocEntry, ...], above: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], TocEntry]]:
    for entry in entries:
        yield above + (entry.title,), entry
        yield from _walk(entry.children, above + (entry.title,))


PATHS = st.lists(
    st.lists(st.sampled_from(["A", "B", "C"]), max_size=3).map(tuple), min_size=1, max_size=25
)


@given(PATHS)
def test_every_entry_is_a_heading_run_starting_at_its_passage(paths: list[tuple[str, ...]]) -> None:
    """Read in order (depth first), the entries are exactly the places where a passage's
    heading path begins a prefix that the passage before it does not have."""
    entries = list(_walk(build_toc((f"d:{i}", path) for i, path in enumerate(paths))))
    starts = [
        (path[:depth], f"d:{i}")
        for i, path in enumerate(paths)
        for depth in range(1, len(path) + 1)
        if i == 0 or paths[i - 1][:depth] != path[:depth]
    ]
    assert [(path, entry.chunk_id) for path, entry in entries] == starts


def _chunk(chunk_id: str, doc_id: str, start: int, text: str) -> Chunk:
    return Chunk(chunk_id, doc_id, "T", (), None, None, start, start + len(text), text)


def test_overlap_is_the_shared_span_within_one_document() -> None:
    source = "Ett. Två. Tre. Fyra."
    chunks = [
        _chunk("a:0", "a", 0, source[:9]),  # "Ett. Två."
        _chunk("a:1", "a", 5, source[5:14]),  # "Två. Tre."
        _chunk("a:2", "a", 15, source[15:]),  # no overlap
        _chunk("b:0", "b", 0, "Ny text."),  # another document starts afresh
    ]
    assert overlaps(chunks) == [0, 4, 0, 0]
    assert chunks[1].text[:4] == chunks[0].text[-4:]
