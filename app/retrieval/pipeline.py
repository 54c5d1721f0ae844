"""The retrieval pipeline over a loaded store: dense + lexical → fusion → rerank."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from app.answer.language import detect_language
from app.retrieval.bm25 import BM25Index
from app.retrieval.fusion import reciprocal_rank_fusion
from app.retrieval.rerank import Reranker
from app.retrieval.swedish import Analyzer, CompoundSplitter
from indexer.build import passage_text
from indexer.embedders import Embedder
from indexer.models import Chunk
from indexer.store import LoadedStore

Mode = Literal["bm25", "dense", "hybrid", "rerank"]
MODES: tuple[Mode, ...] = ("bm25", "dense", "hybrid", "rerank")


@dataclass(frozen=True)
class RetrievalSettings:
    dense_candidates: int = 30
    lexical_candidates: int = 30
    rrf_k: float = 60.0
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    # English questions share few words with Swedish text; trust meaning more.
    english_lexical_weight: float = 0.3
    rerank_candidates: int = 20


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    position: int
    score: float
    dense_score: float
    lexical_score: float


@dataclass(frozen=True)
class Retrieval:
    query: str
    query_vector: np.ndarray
    query_terms: tuple[str, ...]
    passages: tuple[ScoredChunk, ...]


def dense_search(index: object, query_vector: np.ndarray, n: int) -> list[tuple[int, float]]:
    scores, ids = index.search(query_vector[None, :].astype(np.float32), n)  # type: ignore[attr-defined]
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]


class Retriever:
    def __init__(
        self,
        store: LoadedStore,
        embedder: Embedder,
        settings: RetrievalSettings,
        compound_splitting: bool = True,
        reranker: Reranker | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.reranker = reranker
        texts = [passage_text(chunk) for chunk in store.chunks]
        splitter = CompoundSplitter.from_texts(texts) if compound_splitting else None
        self.analyzer = Analyzer(splitter)
        self.bm25 = BM25Index.build([self.analyzer.terms(text) for text in texts])
        self._texts = texts

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.embed_queries([query])[0]

    def retrieve(self, query: str, k: int, mode: Mode = "hybrid") -> Retrieval:
        query_vector = self.embed_query(query)
        terms = tuple(self.analyzer.terms(query))
        n_chunks = len(self.store.chunks)
        dense = dense_search(
            self.store.index, query_vector, min(self.settings.dense_candidates, n_chunks)
        )
        lexical = self.bm25.top(terms, min(self.settings.lexical_candidates, n_chunks))
        dense_scores = dict(dense)
        lexical_scores = dict(lexical)
        if mode == "dense":
            ranked = dense
        elif mode == "bm25":
            ranked = lexical
        else:
            lexical_weight = (
                self.settings.english_lexical_weight
                if detect_language(query) == "en"
                else self.settings.lexical_weight
            )
            ranked = reciprocal_rank_fusion(
                {"dense": [i for i, _ in dense], "lexical": [i for i, _ in lexical]},
                {"dense": self.settings.dense_weight, "lexical": lexical_weight},
                k=self.settings.rrf_k,
            )
            if mode == "rerank" and self.reranker is not None:
                ranked = self._rerank(query, ranked)
        passages = tuple(
            ScoredChunk(
                chunk=self.store.chunks[i],
                position=i,
                score=score,
                dense_score=dense_scores.get(i, self._cosine(query_vector, i)),
                lexical_score=lexical_scores.get(i, 0.0),
            )
            for i, score in ranked[:k]
        )
        return Retrieval(query, query_vector, terms, passages)

    def _rerank(self, query: str, ranked: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
        assert self.reranker is not None
        head = list(ranked[: self.settings.rerank_candidates])
        scores = self.reranker.score(query, [self._texts[i] for i, _ in head])
        reordered = sorted(zip(head, scores, strict=True), key=lambda pair: -pair[1])
        return [(i, score) for (i, _), score in reordered] + list(
            ranked[self.settings.rerank_candidates :]
        )

    def _cosine(self, query_vector: np.ndarray, position: int) -> float:
        return float(self.store.index.reconstruct(position) @ query_vector)
