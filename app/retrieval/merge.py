"""One passage list (and one question vector) for a question asked in parts (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from app.domain import Passage


def interleave_parts(
    per_part: Sequence[Sequence[Passage]], k: int
) -> tuple[tuple[Passage, ...], tuple[tuple[int, ...], ...]]:
    """The first passage of each part, then the second of each, …, each chunk once, at most
    `k` (but every part's best); refs renumbered 1…n. Returns the passages and, per part,
    the refs of its own passages, best first."""
    merged: list[Passage] = []
    ref_of: dict[str, int] = {}
    refs: list[list[int]] = [[] for _ in per_part]
    limit = max(k, len(per_part))
    depth = max((len(p) for p in per_part), default=0)
    for rank in range(depth):
        for index, passages in enumerate(per_part):
            if rank >= len(passages):
                continue
            chunk_id = passages[rank].chunk.chunk_id
            if chunk_id not in ref_of:
                if len(merged) >= limit:
                    continue
                ref_of[chunk_id] = len(merged) + 1
                merged.append(replace(passages[rank], ref=len(merged) + 1))
            refs[index].append(ref_of[chunk_id])
    return tuple(merged), tuple(tuple(r) for r in refs)


def combined_vector(vectors: Sequence[np.ndarray]) -> np.ndarray:
    """The question's vector from its parts' (unit length, as the engine's are): their
    normalised sum, so that nothing needs the whole question embedded as well."""
    total = np.stack(vectors).astype(np.float32).sum(axis=0)
    norm = max(float(np.linalg.norm(total)), 1e-12)
    return np.asarray(total / norm, dtype=np.float32)
