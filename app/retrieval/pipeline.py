"""The retrieval pipeline over a passage store: dense + lexical → fusion → rerank → passages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import anyio
import anyio.to_thread
import numpy as np

from app.domain import Passage
from app.retrieval.fusion import reciprocal_rank_fusion
from app.retrieval.query_embeddings import embed_query
from app.retrieval.rerank import Reranker
from app.retrieval.store import PassageStore
from indexer.embedders import Embedder
from indexer.language import detect_language
from indexer.swedish import Analyzer

Mode = Literal["bm25", "dense", "hybrid", "rerank"]


@dataclass(frozen=True)
class RetrievalSettings:
    dense_candidates: int = 30
    lexical_candidates: int = 30
    # Tuned on eval/questions.jsonl (eval/TUNING.md); `RAG_RRF_K` overrides it.
    rrf_k: float = 10.0
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    # English questions share few words with Swedish text; trust meaning more.
    english_lexical_weight: float = 0.3
    rerank_candidates: int = 20


@dataclass(frozen=True)
class Retrieval:
    query: str
    query_vector: np.ndarray
    query_terms: tuple[str, ...]
    passages: tuple[Passage, ...]


class Retriever:
    def __init__(
        self,
        store: PassageStore,
        embedder: Embedder,
        analyzer: Analyzer,
        settings: RetrievalSettings,
        reranker: Reranker | None = None,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.analyzer = analyzer
        self.settings = settings
        self.reranker = reranker

    @property
    def modes(self) -> tuple[Mode, ...]:
        """The modes this retriever can run: rerank only with a reranker."""
        return ("bm25", "dense", "hybrid", *(("rerank",) if self.reranker else ()))

    async def retrieve_async(
        self, query: str, k: int, mode: Mode = "hybrid", document: str | None = None
    ) -> Retrieval:
        """`retrieve` for the event loop: the query vector awaited there (no worker thread
        waits for the embedding thread), then the search on the loop when the store says
        it is short work, in a worker thread when it is not (a server, a large store, a
        reranker's model)."""
        query_vector = await embed_query(self.embedder, query)
        if self.store.searches_on_loop and mode != "rerank":
            # A batch of vectors comes back at once: the loop reads the requests that
            # arrived meanwhile (and hands them to the embedding thread) before searching.
            await anyio.sleep(0)
            return self.retrieve(query, k, mode, document, query_vector)
        return await anyio.to_thread.run_sync(self.retrieve, query, k, mode, document, query_vector)

    def retrieve(
        self,
        query: str,
        k: int,
        mode: Mode = "hybrid",
        document: str | None = None,
        query_vector: np.ndarray | None = None,
    ) -> Retrieval:
        """The top `k` passages for `query`; with `document`, only that document's. The
        query's vector is embedded unless given."""
        if query_vector is None:
            query_vector = self.embedder.embed_queries([query])[0]
        terms = tuple(self.analyzer.terms(query))
        dense = self.store.dense_search(query_vector, self.settings.dense_candidates, document)
        lexical = self.store.lexical_candidates(terms, self.settings.lexical_candidates, document)
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
            Passage(
                ref=ref,
                chunk=self.store.chunk_at(position),
                score=score,
                sentence_vectors=self.store.sentence_vectors(position),
            )
            for ref, (position, score) in enumerate(ranked[:k], start=1)
        )
        return Retrieval(query, query_vector, terms, passages)

    def _rerank(self, query: str, ranked: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
        assert self.reranker is not None
        head = list(ranked[: self.settings.rerank_candidates])
        texts = [self.store.chunk_at(i).passage_text for i, _ in head]
        scores = self.reranker.score(query, texts)
        reordered = sorted(zip(head, scores, strict=True), key=lambda pair: -pair[1])
        return [(i, score) for (i, _), score in reordered] + list(
            ranked[self.settings.rerank_candidates :]
        )
