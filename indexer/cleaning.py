"""Turns PDF-extracted text and Markdown into clean, structured documents (pure).

The strategy is raw PDF text: every line is followed by a blank line, paragraphs are
wrapped mid-sentence, a page starts at a non-blank line that begins with a single
space, and a lone page number can sit between lines. The cleaner rebuilds paragraphs,
bullet items and the heading hierarchy, and records the page of every block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer.documents import Block, BlockKind, CleanedDocument

BLOCK_SEPARATOR = "\n\n"

_PAGE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
_CHAPTER = re.compile(r"^(\d{1,2})\.\s*([A-ZÅÄÖ].*)$")
_ITEM = re.compile(r"^([ivx]{1,5})\)\s+(\S.*)$")
_BULLET = re.compile(r"^[•●▪◦]\s*")
_SENTENCE_END = ".!?:;"
_HEADING_FORBIDDEN_END = ".,;:!?"
_MAX_HEADING_WORDS = 12
_SHORT_LINE_RATIO = 0.75
_FOCUS_PREFIX = "Fokusområden"


@dataclass(frozen=True)
class SourceLine:
    """A non-blank source line, stripped, with what its layout tells about structure."""

    text: str
    page: int | None
    trailing_spaces: int
    gap_before: bool

    @property
    def is_bullet(self) -> bool:
        return bool(_BULLET.match(self.text))

    @property
    def starts_upper(self) -> bool:
        first = self.text[0]
        return first.isupper() or first.isdigit() or first in '•–—"“('


@dataclass(frozen=True)
class RawBlock:
    kind: BlockKind
    text: str
    page: int | None
    level: int = 0
    # (offset in `text`, page) where a later page begins inside this block.
    page_marks: tuple[tuple[int, int], ...] = ()


def pdf_text_lines(raw: str) -> list[SourceLine]:
    """Reads PDF-extracted text where a page starts at a line with one leading space."""
    lines: list[SourceLine] = []
    page = 0
    gap = False
    for line in raw.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            # A line of only spaces is a visual gap; an empty line is the extractor's
            # line separator and means nothing.
            gap = gap or bool(line)
            continue
        if line.startswith(" ") and not line.startswith("  "):
            page += 1
        if _PAGE_NUMBER.match(line):
            continue
        lines.append(_source_line(line, max(page, 1), gap))
        gap = False
    return lines


def pdf_page_lines(pages: Sequence[str]) -> list[SourceLine]:
    """Reads text extracted page by page (pypdf), where page numbers are known."""
    lines: list[SourceLine] = []
    for number, page_text in enumerate(pages, start=1):
        gap = False
        for line in page_text.replace("\r\n", "\n").split("\n"):
            if not line.strip():
                gap = True
                continue
            if _PAGE_NUMBER.match(line):
                continue
            lines.append(_source_line(line, number, gap))
            gap = False
    return lines


def _source_line(line: str, page: int | None, gap: bool) -> SourceLine:
    stripped = line.rstrip()
    return SourceLine(
        text=re.sub(r"\s+", " ", stripped.strip()),
        page=page,
        trailing_spaces=len(line) - len(stripped),
        gap_before=gap,
    )


def _join(left: str, right: str, left_trailing_spaces: int) -> str:
    # A hyphen glued to the end of a line splits a compound ("FN-" + "stadgan");
    # "säkerhets- " with a space is a real suspended hyphen and keeps the space.
    if not left:  # a bullet alone on its line: its item is the next line
        return right
    if left_trailing_spaces == 0 and re.search(r"\w-$", left):
        return left + right
    return f"{left} {right}"


class _Layout:
    """Structural judgements about lines, relative to the document's line width."""

    def __init__(self, lines: Sequence[SourceLine], raw_lengths: Sequence[int]) -> None:
        self.lines = lines
        self.raw_lengths = raw_lengths
        ordered = sorted(raw_lengths) or [80]
        self.full_width = ordered[int(0.9 * (len(ordered) - 1))]

    def is_short(self, i: int) -> bool:
        return self.raw_lengths[i] < _SHORT_LINE_RATIO * self.full_width

    def paragraph_ends_after(self, i: int) -> bool:
        if i + 1 >= len(self.lines):
            return True
        line, nxt = self.lines[i], self.lines[i + 1]
        if nxt.gap_before or line.trailing_spaces >= 2 or nxt.is_bullet:
            return True
        return nxt.starts_upper and self.is_short(i)

    def follows_break(self, i: int) -> bool:
        if i == 0:
            return True
        prev = self.lines[i - 1]
        return self.paragraph_ends_after(i - 1) or prev.text[-1] in _SENTENCE_END

    def numbered_heading(self, i: int) -> bool:
        text = self.lines[i].text
        if text[-1] in _HEADING_FORBIDDEN_END or not self.follows_break(i):
            return False
        return bool(_CHAPTER.match(text) or _ITEM.match(text))

    def title_like(self, i: int) -> bool:
        text = self.lines[i].text
        return (
            text[0].isupper()
            and text[-1] not in _HEADING_FORBIDDEN_END
            and ". " not in text
            and len(text.split()) <= _MAX_HEADING_WORDS
            and not self.lines[i].is_bullet
        )

    def unnumbered_heading(self, i: int) -> bool:
        if not self.title_like(i) or not self.follows_break(i) or i + 1 >= len(self.lines):
            return False
        nxt = self.lines[i + 1]
        if nxt.is_bullet:
            return True
        # Two short title-like lines that stand alone are a signature ("Maria Malmer
        # Stenergard" / "Utrikesminister"), not a heading followed by its text.
        if self.is_signature_line(i + 1):
            return False
        return nxt.starts_upper or nxt.gap_before

    def is_signature_line(self, i: int) -> bool:
        if not (self.title_like(i) and self.is_short(i)) or self.numbered_heading(i):
            return False
        return i + 1 >= len(self.lines) or self.lines[i + 1].starts_upper

    def heading_continues(self, i: int) -> bool:
        """A numbered heading wrapped onto a short lower-case line ("… inom" / "cyberområdet")."""
        if i + 1 >= len(self.lines):
            return False
        nxt = self.lines[i + 1]
        return (
            not nxt.starts_upper
            and nxt.text[-1] not in _HEADING_FORBIDDEN_END
            and self.is_short(i + 1)
        )


def blocks_from_lines(lines: Sequence[SourceLine]) -> list[RawBlock]:
    """Groups lines into headings, paragraphs and bullet items."""
    raw_lengths = [len(line.text) + line.trailing_spaces for line in lines]
    layout = _Layout(lines, raw_lengths)
    blocks: list[RawBlock] = []
    seen_chapter = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if layout.numbered_heading(i) or layout.unnumbered_heading(i):
            text = line.text
            numbered = layout.numbered_heading(i)
            while numbered and _ITEM.match(line.text) and layout.heading_continues(i):
                i += 1
                text = _join(text, lines[i].text, lines[i - 1].trailing_spaces)
            level, text = _heading_level(text, seen_chapter)
            seen_chapter = seen_chapter or bool(_CHAPTER.match(text))
            blocks.append(RawBlock("heading", text, line.page, level))
            i += 1
            continue
        kind: BlockKind = "bullet" if line.is_bullet else "paragraph"
        text = _BULLET.sub("", line.text) if line.is_bullet else line.text
        page = line.page
        marks: list[tuple[int, int]] = []
        while not layout.paragraph_ends_after(i):
            nxt_index = i + 1
            if layout.numbered_heading(nxt_index) or layout.unnumbered_heading(nxt_index):
                break
            i = nxt_index
            joined = _join(text, lines[i].text, lines[i - 1].trailing_spaces)
            next_page = lines[i].page
            if next_page is not None and next_page != (marks[-1][1] if marks else page):
                marks.append((len(joined) - len(lines[i].text), next_page))
            text = joined
        if text:
            blocks.append(RawBlock(kind, text, page, page_marks=tuple(marks)))
        i += 1
    return blocks


def _heading_level(text: str, seen_chapter: bool) -> tuple[int, str]:
    chapter = _CHAPTER.match(text)
    if chapter:
        return 1, f"{chapter.group(1)}. {chapter.group(2)}"
    if _ITEM.match(text):
        return 3, text
    if not seen_chapter:
        return 1, text
    return 2, text


def assemble(doc_id: str, raw_blocks: Iterable[RawBlock]) -> CleanedDocument:
    """Lays blocks out in one cleaned text and gives each its span and heading path."""
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    pieces: list[str] = []
    cursor = 0
    for raw in raw_blocks:
        if raw.kind == "heading":
            while stack and stack[-1][0] >= raw.level:
                stack.pop()
            stack.append((raw.level, raw.text))
        path = tuple(text for _, text in stack)
        if pieces:
            cursor += len(BLOCK_SEPARATOR)
        start = cursor
        cursor += len(raw.text)
        pieces.append(raw.text)
        marks = tuple((start + offset, page) for offset, page in raw.page_marks)
        blocks.append(Block(raw.kind, raw.text, raw.page, raw.level, path, start, cursor, marks))
    return CleanedDocument(doc_id=doc_id, text=BLOCK_SEPARATOR.join(pieces), blocks=tuple(blocks))


def clean_pdf_text(doc_id: str, raw: str) -> CleanedDocument:
    return assemble(doc_id, blocks_from_lines(pdf_text_lines(raw)))


def clean_pdf_pages(doc_id: str, pages: Sequence[str]) -> CleanedDocument:
    return assemble(doc_id, blocks_from_lines(pdf_page_lines(pages)))


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<\"'])")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_BULLET = re.compile(r"^\s*(?:[-*+•])\s+")


def unescape_markdown(text: str) -> str:
    return _MD_ESCAPE.sub(r"\1", text)


def clean_markdown(doc_id: str, raw: str) -> CleanedDocument:
    """Markdown: `#` headings, blank-line paragraphs, `-`/`*` bullets, escapes removed."""
    raw_blocks: list[RawBlock] = []
    current: list[str] = []
    current_kind: BlockKind = "paragraph"

    def flush() -> None:
        nonlocal current
        if current:
            raw_blocks.append(RawBlock(current_kind, " ".join(current), None))
        current = []

    for line in raw.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        heading = _MD_HEADING.match(stripped)
        if not stripped:
            flush()
        elif heading:
            flush()
            text = unescape_markdown(heading.group(2))
            raw_blocks.append(RawBlock("heading", text, None, len(heading.group(1))))
        elif _MD_BULLET.match(line):
            flush()
            current_kind = "bullet"
            current = [unescape_markdown(_MD_BULLET.sub("", line).strip())]
        else:
            if not current:
                current_kind = "paragraph"
            current.append(unescape_markdown(re.sub(r"\s+", " ", stripped)))
    flush()
    return assemble(doc_id, raw_blocks)
