"""Weighted reciprocal rank fusion (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[int]],
    weights: Mapping[str, float] | None = None,
    k: float = 60.0,
) -> list[tuple[int, float]]:
    """Fuses ranked lists of item ids into one list of (id, score), best first.

    score(d) = Σ_lists weight / (k + rank), rank counted from 1. Ties break by id, so
    the result does not depend on the order in which the lists are given.
    """
    scores: dict[int, float] = {}
    for name, ranking in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        if weight <= 0:
            continue
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
