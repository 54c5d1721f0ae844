"""The FAISS store directory as a build target; its cache is the store it replaces."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.build_target import BuiltCorpus
from indexer.embedding_cache import (
    EmbeddingCache,
    NoCache,
    VectorsByKey,
    cache_key,
    model_identity,
)
from indexer.store import StoreError, check_writable, load_store, read_manifest, write_store


@dataclass(frozen=True)
class DirectoryTarget:
    store_dir: Path
    hnsw_threshold: int

    @property
    def location(self) -> str:
        return str(self.store_dir)

    def current_fingerprint(self) -> str | None:
        check_writable(self.store_dir)
        try:
            found = read_manifest(self.store_dir).get("fingerprint")
            load_store(self.store_dir)
        except StoreError:
            return None
        return found if isinstance(found, str) else None

    def embedding_cache(self, identity: str) -> EmbeddingCache:
        """The vectors of the store this build replaces, when it was built with the model."""
        try:
            previous = load_store(self.store_dir)
        except StoreError:
            return NoCache()
        if model_identity(previous.manifest.get("embedder", {})) != identity:
            return NoCache()
        chunk_vectors = previous.index.reconstruct_n(0, previous.index.ntotal)
        vectors: dict[bytes, np.ndarray] = {}
        for chunk, vector in zip(previous.chunks, chunk_vectors, strict=True):
            vectors[cache_key(identity, chunk.passage_text)] = vector
        sentences = (s for chunk in previous.chunks for s in chunk.sentence_texts())
        for text, vector in zip(sentences, previous.sentence_vectors, strict=True):
            vectors[cache_key(identity, text)] = vector
        return VectorsByKey(vectors)

    def write(self, built: BuiltCorpus) -> None:
        write_store(
            self.store_dir,
            built.chunks,
            built.chunk_vectors,
            built.sentence_vectors,
            built.manifest,
            self.hnsw_threshold,
        )
