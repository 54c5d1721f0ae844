"""Which gold evidence quotes a chunk contains (pure).

Gold quotes and chunk texts go through the same `match_key`: the question checker's
`normalize_for_match` (Markdown escapes, page numbers, line-wrap hyphens, whitespace) plus
one more rule, no space after a hyphen, because the indexer's cleaner joins a wrapped
"säkerhets- \noch" into "säkerhets-och" where the raw text keeps the space.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from eval.question_set import Evidence, normalize_for_match


@dataclass(frozen=True)
class Hit:
    """A retrieved or cited chunk, as any target (in-process or HTTP) reports it."""

    chunk_id: str
    doc_id: str
    text: str


_HYPHEN_SPACE = re.compile(r"-\s+")


@lru_cache(maxsize=8192)
def match_key(text: str) -> str:
    """The one normalisation both sides of every gold comparison go through."""
    return _HYPHEN_SPACE.sub("-", normalize_for_match(text))


def covered_quotes(evidence: Sequence[Evidence], hit: Hit) -> frozenset[int]:
    """Indices of the gold quotes that `hit` contains (same document, normalised substring)."""
    text = match_key(hit.text)
    return frozenset(
        i
        for i, ev in enumerate(evidence)
        if ev.doc_id == hit.doc_id and match_key(ev.quote) in text
    )


def is_relevant(evidence: Sequence[Evidence], hit: Hit) -> bool:
    return bool(covered_quotes(evidence, hit))


def relevant_count(evidence: Sequence[Evidence], corpus: Sequence[Hit]) -> int:
    """How many chunks of the whole collection contain a gold quote (nDCG's ideal)."""
    return sum(is_relevant(evidence, chunk) for chunk in corpus)
