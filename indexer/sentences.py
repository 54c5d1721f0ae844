"""Swedish sentence splitting with character offsets (pure)."""

from __future__ import annotations

import re

from indexer.documents import BlockKind, SentenceRole, Span

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = frozenset(
    {
        "s.k",
        "dvs",
        "t.ex",
        "bl.a",
        "m.m",
        "osv",
        "inkl",
        "ca",
        "resp",
        "jfr",
        "t.o.m",
        "m.fl",
        "d.v.s",
        "e.g",
        "i.e",
        "etc",
        "nr",
        "kap",
    }
)

_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)]*(?=\s+[\"'“”(–—\-•]?\s*[A-ZÅÄÖÉ0-9])")


def _ends_with_abbreviation(text: str, dot_index: int) -> bool:
    head = text[:dot_index]
    match = re.search(r"([\wåäöÅÄÖ.]+)$", head)
    if not match:
        return False
    return match.group(1).lower().strip(".") in _ABBREVIATIONS


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Split `text` into sentence spans (shifted by `offset`), whitespace trimmed."""
    spans: list[Span] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if text[match.start()] == "." and _ends_with_abbreviation(text, match.start()):
            continue
        spans.append(Span(start, match.end()))
        start = match.end()
    spans.append(Span(start, len(text)))
    trimmed: list[Span] = []
    for span in spans:
        piece = text[span.start : span.end]
        if not piece.strip():
            continue
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        trimmed.append(Span(offset + span.start + lead, offset + span.end - trail))
    return trimmed


_SIGNATURE_MAX_WORDS = 4


def sentence_role(text: str, block_kind: BlockKind, last_in_block: bool) -> SentenceRole:
    """A bullet is a list item; a paragraph's closing "…omfattar bland annat:" leads in a
    list; a short line of capitalised words without a full stop ("Maria Malmer Stenergard",
    "Utrikesminister") signs the text. Everything else is a statement."""
    stripped = text.strip()
    if block_kind == "bullet":
        return "item"
    if last_in_block and stripped.endswith(":"):
        return "lead_in"
    words = stripped.split()
    if (
        words
        and len(words) <= _SIGNATURE_MAX_WORDS
        and not re.search(r"[.!?:;]$", stripped)
        and all(w[0].isupper() for w in words)
    ):
        return "signature"
    return "sentence"
