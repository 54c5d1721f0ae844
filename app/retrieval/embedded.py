"""The embedded store: the indexer's FAISS store in memory, with an in-memory BM25 index."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from app.retrieval.bm25 import BM25Index
from indexer.documents import Chunk
from indexer.store import LoadedStore
from indexer.swedish import Analyzer

# Up to this many passages a search (FAISS flat, BM25, both in this process) takes well under
# a millisecond: 0.17 ms for the 66 of the default corpus, less than a hand-off to a worker
# thread and back after a pause (0.2-0.3 ms). A larger store is searched in a worker.
SEARCH_ON_LOOP_MAX_PASSAGES = 2_000


class EmbeddedStore:
    def __init__(self, loaded: LoadedStore, analyzer: Analyzer) -> None:
        self._loaded = loaded
        self._chunks = loaded.chunks
        self._positions = loaded.chunk_position()
        self._bm25 = BM25Index.build([analyzer.terms(c.passage_text) for c in loaded.chunks])

    @property
    def manifest(self) -> Mapping[str, Any]:
        return self._loaded.manifest

    @property
    def idf(self) -> Mapping[str, float]:
        return self._bm25.idf

    def __len__(self) -> int:
        return len(self._chunks)

    @property
    def searches_on_loop(self) -> bool:
        return len(self._chunks) <= SEARCH_ON_LOOP_MAX_PASSAGES

    def dense_search(
        self, query_vector: np.ndarray, n: int, document: str | None = None
    ) -> list[tuple[int, float]]:
        query = query_vector[None, :].astype(np.float32)
        wanted = len(self._chunks) if document is not None else min(n, len(self._chunks))
        scores, ids = self._loaded.index.search(query, wanted)
        found = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        return self._in(document, found)

    def lexical_candidates(
        self, terms: Sequence[str], n: int, document: str | None = None
    ) -> list[tuple[int, float]]:
        wanted = len(self._chunks) if document is not None else min(n, len(self._chunks))
        return self._in(document, self._bm25.top(terms, wanted))

    def _in(self, document: str | None, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        if document is None:
            return ranked
        return [(i, s) for i, s in ranked if self._chunks[i].doc_id == document]

    def chunk_at(self, position: int) -> Chunk:
        return self._chunks[position]

    def position_of(self, chunk_id: str) -> int | None:
        return self._positions.get(chunk_id)

    def neighbours(self, position: int) -> tuple[Chunk | None, Chunk | None]:
        found = self._chunks[position]
        before = self._chunks[position - 1] if position > 0 else None
        after = self._chunks[position + 1] if position + 1 < len(self._chunks) else None
        return (
            before if before is not None and before.doc_id == found.doc_id else None,
            after if after is not None and after.doc_id == found.doc_id else None,
        )

    def sentence_vectors(self, position: int) -> np.ndarray:
        first = self._loaded.sentence_rows[position]
        count = len(self._chunks[position].sentences)
        return self._loaded.sentence_vectors[first : first + count]

    def chunks(self) -> Iterator[Chunk]:
        return iter(self._chunks)

    def close(self) -> None:
        """Nothing to release: the store is memory."""
