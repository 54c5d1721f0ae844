"""Retrieval, answer and latency metrics (pure).

Relevance is judged per chunk against an item's gold evidence quotes (see `eval.gold`):
a retrieved chunk is *relevant* when it contains at least one gold quote. Every function
takes plain sequences, so the same code scores the in-process service and a remote one.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence

from eval.gold import match_key


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when any of the first `k` results is relevant (success@k)."""
    return float(any(relevant[:k]))


def evidence_recall_at_k(covered: Sequence[Collection[int]], n_quotes: int, k: int) -> float:
    """Share of the item's `n_quotes` gold quotes found in the first `k` results.

    `covered[i]` holds the indices of the quotes that result `i` contains.
    """
    if n_quotes <= 0:
        raise ValueError("evidence recall needs at least one gold quote")
    found: set[int] = set().union(*covered[:k]) if covered[:k] else set()
    return len(found) / n_quotes


def reciprocal_rank(relevant: Sequence[bool], k: int = 10) -> float:
    """1 / rank of the first relevant result within `k`; 0.0 when there is none."""
    for rank, is_relevant in enumerate(relevant[:k], start=1):
        if is_relevant:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(relevant: Sequence[bool], n_relevant: int, k: int = 10) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts `n_relevant` relevant chunks first.

    `n_relevant` is the number of relevant chunks in the whole collection (at least the
    number retrieved, which is enforced so that the score never exceeds 1).
    """
    retrieved = sum(bool(r) for r in relevant[:k])
    ideal_count = min(k, max(n_relevant, retrieved))
    if ideal_count == 0:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 1) for rank, r in enumerate(relevant[:k], 1) if r)
    idcg = sum(1.0 / math.log2(rank + 1) for rank in range(1, ideal_count + 1))
    return dcg / idcg


def citation_precision(cited_correct: Sequence[bool]) -> float | None:
    """Correct cited passages / cited passages (ALCE); None when nothing is cited."""
    if not cited_correct:
        return None
    return sum(cited_correct) / len(cited_correct)


def citation_recall(cited_covered: Iterable[Collection[int]], n_quotes: int) -> float | None:
    """Share of gold quotes contained in at least one cited passage; None without gold."""
    if n_quotes <= 0:
        return None
    found: set[int] = set()
    for quotes in cited_covered:
        found.update(quotes)
    return len(found) / n_quotes


def key_term_coverage(answer: str, key_terms: Sequence[str]) -> float | None:
    """Share of key terms found in the answer, both sides through `match_key`, case-folded."""
    if not key_terms:
        return None
    folded = match_key(answer).casefold()
    found = sum(match_key(term).casefold() in folded for term in key_terms)
    return found / len(key_terms)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), linear between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0-100, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the defined values; None when there are none."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def latency_summary(values_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99, mean and max of latencies in milliseconds ({} when empty)."""
    if not values_ms:
        return {}
    return {
        "p50": percentile(values_ms, 50),
        "p95": percentile(values_ms, 95),
        "p99": percentile(values_ms, 99),
        "mean": sum(values_ms) / len(values_ms),
        "max": max(values_ms),
        "n": float(len(values_ms)),
    }
