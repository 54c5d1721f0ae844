"""Each retrieval stage on the real store: dense, lexical, fusion and the rerank step."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from app.retrieval.pipeline import Retrieval, RetrievalSettings, Retriever
from app.retrieval.query_embeddings import CachedQueries
from app.retrieval.store import PassageStore
from app.service import QuestionAnswering

pytestmark = pytest.mark.slow


class KeywordReranker:
    """A deterministic scorer for the rerank step (no cross-encoder weights exist offline):
    it records what it was asked and prefers passages that mention a keyword."""

    name = "keyword"

    def __init__(self, keyword: str) -> None:
        self.keyword = keyword
        self.calls: list[tuple[str, int]] = []

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        self.calls.append((query, len(passages)))
        return [float(passage.count(self.keyword)) for passage in passages]


def test_compound_in_text_is_found_by_its_part(qa: QuestionAnswering) -> None:
    passages = asyncio.run(qa.search("certifiering", 3, "bm25")).passages
    assert any("cybersäkerhetscertifiering" in p.chunk.text for p in passages)


def test_dense_finds_english_question(qa: QuestionAnswering) -> None:
    passages = asyncio.run(
        qa.search("Which organisation has 57 participating states?", 3, "dense")
    ).passages
    assert any("57 deltagande" in p.chunk.text for p in passages)


def test_rerank_reorders_only_the_head(qa: QuestionAnswering) -> None:
    reranker = KeywordReranker("Ukraina")
    base = qa.retriever
    retriever = Retriever(
        base.store,
        base.embedder,
        base.analyzer,
        RetrievalSettings(rerank_candidates=10),
        reranker=reranker,
    )
    plain = retriever.retrieve("Samarbetet inom Nato", 10, "hybrid")
    reranked = retriever.retrieve("Samarbetet inom Nato", 10, "rerank")
    assert reranker.calls == [("Samarbetet inom Nato", 10)]
    assert {p.chunk.chunk_id for p in plain.passages} == {
        p.chunk.chunk_id for p in reranked.passages
    }
    assert "Ukraina" in reranked.passages[0].chunk.text
    counts = [p.chunk.text.count("Ukraina") for p in reranked.passages]
    assert counts == sorted(counts, reverse=True)


class WhereSearched:
    """The real store, recording the thread each search ran on; `on_loop` as told."""

    def __init__(self, inner: PassageStore, on_loop: bool) -> None:
        self._inner = inner
        self._on_loop = on_loop
        self.threads: list[int] = []

    @property
    def searches_on_loop(self) -> bool:
        return self._on_loop

    def dense_search(self, *args: Any, **kwargs: Any) -> list[tuple[int, float]]:
        self.threads.append(threading.get_ident())
        return self._inner.dense_search(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.mark.parametrize("on_loop", [True, False])
def test_awaited_retrieval_searches_where_the_store_says_and_finds_the_same(
    qa: QuestionAnswering, on_loop: bool
) -> None:
    base = qa.retriever
    store = WhereSearched(base.store, on_loop)
    retriever = Retriever(store, base.embedder, base.analyzer, base.settings)  # type: ignore[arg-type]
    question = "Vad säger strategin om samarbetet inom Nato?"

    async def retrieve() -> tuple[Retrieval, int]:
        return await retriever.retrieve_async(question, 5), threading.get_ident()

    awaited, loop_thread = asyncio.run(retrieve())
    plain = base.retrieve(question, 5)
    assert (store.threads[0] == loop_thread) is on_loop
    assert [p.chunk.chunk_id for p in awaited.passages] == [
        p.chunk.chunk_id for p in plain.passages
    ]
    assert awaited.query_terms == plain.query_terms
    np.testing.assert_array_equal(awaited.query_vector, plain.query_vector)


def test_the_default_store_is_searched_on_the_loop(qa: QuestionAnswering) -> None:
    assert len(qa.retriever.store) == 66 and qa.retriever.store.searches_on_loop


class Arrived:
    """Records, in order, when another task ran and when a search began."""

    def __init__(self) -> None:
        self.events: list[str] = []

    async def other_task(self) -> None:
        self.events.append("other task")


def test_the_loop_runs_other_tasks_before_an_awaited_search_and_an_extractive_answer(
    qa: QuestionAnswering,
) -> None:
    """Under load a batch of query vectors arrives at once; what runs on the loop after it
    (the search, the composing) lets the loop serve what is ready first, e.g. requests
    waiting to reach the embedding thread."""
    base = qa.retriever
    store = WhereSearched(base.store, on_loop=True)
    retriever = Retriever(store, base.embedder, base.analyzer, base.settings)  # type: ignore[arg-type]
    backend = qa.routes.get("extractive").backend
    arrived = Arrived()
    question = "Vad säger strategin om samarbetet inom Nato?"
    compose = backend.compose  # type: ignore[attr-defined]

    def composing(request: Any) -> Any:
        arrived.events.append("compose")
        return compose(request)

    # A cache hit: no wait for the embedding thread yields to the loop before the search.
    retriever.embedder = CachedQueries(base.embedder, size=4)
    retriever.embedder.embed_queries([question])

    async def run() -> None:
        other = asyncio.ensure_future(arrived.other_task())
        await retriever.retrieve_async(question, 5)
        arrived.events.append("searched")
        await other
        request = (await qa.prepare(question, 5)).backend_request
        other = asyncio.ensure_future(arrived.other_task())
        backend.compose = composing  # type: ignore[attr-defined]
        try:
            await backend.generate(request)
        finally:
            del backend.compose  # type: ignore[attr-defined]
        await other

    asyncio.run(run())
    assert arrived.events == ["other task", "searched", "other task", "compose"]
