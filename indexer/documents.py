"""Frozen data types shared by the cleaning, chunking and store modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "bullet"]
# What a sentence is to an answer: a statement, a list item (a bullet), the lead-in that
# introduces a list (ends with a colon), or a signature line (a name, a title).
SentenceRole = Literal["sentence", "item", "lead_in", "signature"]

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class Block:
    """One structural unit of a cleaned document, located in its cleaned text."""

    kind: BlockKind
    text: str
    page: int | None
    level: int
    heading_path: tuple[str, ...]
    start: int
    end: int
    # (offset in the cleaned text, page) where a later page begins inside this block.
    page_marks: tuple[tuple[int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        page = self.page
        for mark_offset, mark_page in self.page_marks:
            if mark_offset <= offset:
                page = mark_page
        return page


@dataclass(frozen=True)
class CleanedDocument:
    doc_id: str
    text: str
    blocks: tuple[Block, ...]

    def headings(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "heading"]


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: an exact span of its document's cleaned text."""

    chunk_id: str
    doc_id: str
    title: str
    heading_path: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    start: int
    end: int
    text: str
    # Sentence spans relative to `text`, used for extractive answers.
    sentences: tuple[Span, ...] = field(default_factory=tuple)
    # One role per sentence span (empty: every span is a plain sentence).
    roles: tuple[SentenceRole, ...] = field(default_factory=tuple)

    @property
    def section(self) -> str:
        return SECTION_SEPARATOR.join(self.heading_path)

    @property
    def passage_text(self) -> str:
        """What gets embedded and searched: the heading path gives a passage its topic."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    @property
    def word_count(self) -> int:
        return len(self.text.split())

    def sentence_texts(self) -> list[str]:
        return [self.text[s.start : s.end] for s in self.sentences]

    def role_of(self, index: int) -> SentenceRole:
        return self.roles[index] if index < len(self.roles) else "sentence"
