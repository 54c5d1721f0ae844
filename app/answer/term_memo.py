"""The analyzer's terms of a text, remembered: the extractive composer analyzes the same
corpus sentences for every question that retrieves them."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

TermsOf = Callable[[str], list[str]]


def memoized_terms(terms_of: TermsOf, size: int = 8192) -> TermsOf:
    """`terms_of` behind a bounded LRU by exact text; each caller gets its own list."""
    remembered = lru_cache(maxsize=size)(lambda text: tuple(terms_of(text)))

    def terms(text: str) -> list[str]:
        return list(remembered(text))

    return terms
