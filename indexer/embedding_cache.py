"""Embeddings reused across builds: keyed by a hash of the model's identity and the text.

A build asks the cache first and embeds only what it misses, so a rebuild after a small
change, or after adding one document, embeds only the new texts. Each store keeps its
cache its own way (the FAISS store reads the vectors of the store it replaces; the
PostgreSQL store keeps a table).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


def model_identity(embedder_info: Mapping[str, Any]) -> str:
    """What makes two vectors of one text comparable: engine, model, revision, dimension."""
    return json.dumps({k: embedder_info.get(k) for k in ("engine", "model", "revision", "dim")})


def cache_key(identity: str, text: str) -> bytes:
    return hashlib.sha256(f"{identity}\x00{text}".encode()).digest()


class EmbeddingCache(Protocol):
    def lookup(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """The vectors known for these keys (absent keys are left out)."""
        ...


class NoCache:
    def lookup(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        return {}


@dataclass(frozen=True)
class VectorsByKey:
    """A cache held in memory: the vectors of a previous build, by key."""

    vectors: Mapping[bytes, np.ndarray]

    def lookup(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        return {key: self.vectors[key] for key in keys if key in self.vectors}


@dataclass(frozen=True)
class Embedded:
    vectors: np.ndarray
    keys: tuple[bytes, ...]
    # Texts embedded now, and texts whose vector came from the cache or from an identical
    # text earlier in the same build (overlapping chunks repeat a sentence).
    embedded: int
    reused: int


def embed_with_cache(
    embed: Callable[[Sequence[str]], np.ndarray],
    texts: Sequence[str],
    identity: str,
    cache: EmbeddingCache,
    dim: int,
    batch: int,
    progress: Callable[[int], None],
) -> Embedded:
    """One vector per text, in order; only texts the cache does not know are embedded."""
    keys = tuple(cache_key(identity, text) for text in texts)
    known = cache.lookup(list(dict.fromkeys(keys)))
    missing: dict[bytes, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in known and key not in missing:
            missing[key] = text
    pending = list(missing.items())
    for start in range(0, len(pending), batch):
        part = pending[start : start + batch]
        vectors = embed([text for _, text in part])
        known.update({key: vector for (key, _), vector in zip(part, vectors, strict=True)})
        progress(len(part))
    rows = [known[key] for key in keys]
    matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32)
    return Embedded(matrix, keys, embedded=len(missing), reused=len(texts) - len(missing))
