"""Each retrieval stage on the real store: dense, lexical, fusion and the rerank step."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from app.retrieval.pipeline import RetrievalSettings, Retriever
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
