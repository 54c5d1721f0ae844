"""What a build hands to the store it writes: the corpus chunked and embedded, and the
Protocol every store's writer implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from indexer.documents import Chunk
from indexer.embedding_cache import EmbeddingCache


@dataclass(frozen=True)
class BuiltCorpus:
    """Everything a target writes: chunks in corpus order, their vectors, the manifest."""

    chunks: tuple[Chunk, ...]
    chunk_vectors: np.ndarray
    # One row per sentence of each chunk, chunk after chunk.
    sentence_vectors: np.ndarray
    manifest: dict[str, Any]
    # The cache keys of each chunk's passage text and of each sentence, in the same order.
    chunk_keys: tuple[bytes, ...]
    sentence_keys: tuple[bytes, ...]


class BuildTarget(Protocol):
    """Where a build writes; a write replaces what serves in one step or not at all."""

    @property
    def location(self) -> str:
        """The store's place as users name it (a directory, a URL without its password)."""
        ...

    def current_fingerprint(self) -> str | None:
        """The fingerprint of the usable store that serves now, or None."""
        ...

    def embedding_cache(self, identity: str) -> EmbeddingCache:
        """Vectors this target already holds for the model `identity`."""
        ...

    def write(self, built: BuiltCorpus) -> None: ...
