"""A whole document for reading: its heading tree and where consecutive passages overlap.
Pure functions on the store's chunks, in store (document) order; no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from indexer.documents import Chunk


@dataclass(frozen=True)
class TocEntry:
    """A heading, the first passage under it (its own or a subheading's) and its subheadings."""

    title: str
    chunk_id: str
    children: tuple[TocEntry, ...] = ()


@dataclass
class _Node:
    title: str
    chunk_id: str
    children: list[_Node] = field(default_factory=list)

    def freeze(self) -> TocEntry:
        return TocEntry(self.title, self.chunk_id, tuple(c.freeze() for c in self.children))


def build_toc(passages: Iterable[tuple[str, Sequence[str]]]) -> tuple[TocEntry, ...]:
    """The heading tree of `(chunk_id, heading_path)` pairs in document order.

    A heading that comes back after another one ("A", "B", "A") is a new entry, as it is
    in the text; a passage with an empty heading path adds nothing.
    """
    roots: list[_Node] = []
    open_path: list[_Node] = []  # the entries the last passage sits under, outermost first
    for chunk_id, path in passages:
        depth = 0
        while (
            depth < len(open_path) and depth < len(path) and open_path[depth].title == path[depth]
        ):
            depth += 1
        del open_path[depth:]
        for title in path[depth:]:
            node = _Node(title, chunk_id)
            (open_path[-1].children if open_path else roots).append(node)
            open_path.append(node)
    return tuple(node.freeze() for node in roots)


def overlaps(chunks: Sequence[Chunk]) -> list[int]:
    """Per chunk, how many characters at the start of its text repeat the end of the one
    before it in the same document (the chunker's sentence of overlap); 0 for none."""
    result: list[int] = []
    previous: Chunk | None = None
    for chunk in chunks:
        shared = 0
        if previous is not None and previous.doc_id == chunk.doc_id:
            shared = max(0, min(previous.end - chunk.start, len(chunk.text)))
        result.append(shared)
        previous = chunk
    return result
