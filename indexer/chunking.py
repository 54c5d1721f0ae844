"""Structure-aware chunking: exact spans of cleaned text, never across sections (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby

from indexer.documents import Block, Chunk, CleanedDocument, SentenceRole, Span
from indexer.sentences import sentence_role, split_sentences


@dataclass(frozen=True)
class ChunkerSettings:
    target_words: int = 150
    max_words: int = 220
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if not 20 <= self.target_words <= self.max_words:
            raise ValueError("target_words must be at least 20 and at most max_words")
        if not 0 <= self.overlap_sentences <= 3:
            raise ValueError("overlap_sentences must be between 0 and 3")


@dataclass(frozen=True)
class _Sentence:
    span: Span
    words: int
    block: Block
    starts_unit: bool
    role: SentenceRole
    # Index of the lead-in + list group it belongs to, kept together when it fits.
    group: int | None


def _sentences_of_section(blocks: Sequence[Block], settings: ChunkerSettings) -> list[_Sentence]:
    group_ids: list[int | None] = [None] * len(blocks)
    next_group = 0
    i = 0
    while i < len(blocks):
        if blocks[i].kind == "paragraph" and blocks[i].text.rstrip().endswith(":"):
            j = i + 1
            while j < len(blocks) and blocks[j].kind == "bullet":
                j += 1
            words = sum(len(b.text.split()) for b in blocks[i:j])
            if j > i + 1 and words <= settings.max_words:
                for k in range(i, j):
                    group_ids[k] = next_group
                next_group += 1
            i = j
            continue
        i += 1
    sentences: list[_Sentence] = []
    for block, group in zip(blocks, group_ids, strict=True):
        spans = [block_span(block)] if block.kind == "bullet" else None
        spans = spans or split_sentences(block.text, offset=block.start)
        for index, span in enumerate(spans):
            text = block.text[span.start - block.start : span.end - block.start]
            starts_unit = index == 0 and (group is None or block.kind == "paragraph")
            role = sentence_role(text, block.kind, index == len(spans) - 1)
            sentences.append(_Sentence(span, len(text.split()), block, starts_unit, role, group))
    return sentences


def block_span(block: Block) -> Span:
    return Span(block.start, block.end)


def _pack(sentences: Sequence[_Sentence], settings: ChunkerSettings) -> list[list[_Sentence]]:
    """Greedy packing that prefers paragraph boundaries and keeps list groups whole."""
    packs: list[list[_Sentence]] = []
    current: list[_Sentence] = []
    fresh = 0  # sentences in `current` that are not overlap from the previous pack

    def words(items: Sequence[_Sentence]) -> int:
        return sum(s.words for s in items)

    i = 0
    while i < len(sentences):
        sentence = sentences[i]
        if sentence.group is not None and sentence.starts_unit:
            unit = [s for s in sentences[i:] if s.group == sentence.group]
        else:
            unit = [sentence]
        total = words(current) + words(unit)
        in_paragraph = not sentence.starts_unit and sentence.group is None
        fits = total <= settings.target_words or (in_paragraph and total <= settings.max_words)
        if fits or fresh == 0:
            current.extend(unit)
            fresh += len(unit)
            i += len(unit)
            continue
        packs.append(current)
        overlap = current[-settings.overlap_sentences :] if settings.overlap_sentences else []
        # Overlap only within a paragraph flow; never let it make the next pack too big.
        if words(overlap) + words(unit) > settings.max_words:
            overlap = []
        current = list(overlap)
        fresh = 0
    if current and fresh:
        packs.append(current)
    return packs


def chunk_document(doc: CleanedDocument, title: str, settings: ChunkerSettings) -> list[Chunk]:
    chunks: list[Chunk] = []
    # A section is a run of text blocks between two headings; two sections may share a
    # heading path (a repeated heading), so group by the runs, not by the path.
    for is_heading, section_blocks in groupby(doc.blocks, key=lambda b: b.kind == "heading"):
        if is_heading:
            continue
        blocks = list(section_blocks)
        path = blocks[0].heading_path
        for pack in _pack(_sentences_of_section(blocks, settings), settings):
            start, end = pack[0].span.start, pack[-1].span.end
            text = doc.text[start:end]
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}:{len(chunks):04d}",
                    doc_id=doc.doc_id,
                    title=title,
                    heading_path=path,
                    page_start=pack[0].block.page_at(start),
                    page_end=pack[-1].block.page_at(end - 1),
                    start=start,
                    end=end,
                    text=text,
                    sentences=tuple(Span(s.span.start - start, s.span.end - start) for s in pack),
                    roles=tuple(s.role for s in pack),
                )
            )
    return chunks
