"""A small built-in check set (not the evaluation suite): retrieval and refusal behaviour."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from app.retrieval.pipeline import Mode
from app.service import QuestionAnswering

pytestmark = pytest.mark.slow

ITEMS = [
    json.loads(line)
    for line in (Path(__file__).parent / "checkset.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
ANSWERABLE = [item for item in ITEMS if not item.get("unanswerable")]
UNANSWERABLE = [item for item in ITEMS if item.get("unanswerable")]


def _recall_at_5(qa: QuestionAnswering, mode: Mode) -> float:
    hits = 0
    for item in ANSWERABLE:
        passages = asyncio.run(qa.search(item["question"], 5, mode)).passages
        field = "section" if item.get("section") else "text"
        hits += any(item["evidence"] in getattr(p.chunk, field) for p in passages)
    return hits / len(ANSWERABLE)


def test_hybrid_beats_dense_only_and_bm25_only(qa: QuestionAnswering) -> None:
    recall = {mode: _recall_at_5(qa, mode) for mode in ("bm25", "dense", "hybrid")}
    assert recall["hybrid"] >= max(recall["bm25"], recall["dense"]), recall
    assert recall["hybrid"] > min(recall["bm25"], recall["dense"]), recall
    assert recall["hybrid"] >= 0.95, recall


@pytest.mark.parametrize("item", ANSWERABLE, ids=lambda item: item["question"][:40])
def test_answerable_questions_are_answered(qa: QuestionAnswering, item: dict[str, str]) -> None:
    result = asyncio.run(qa.ask(item["question"], 5))
    assert not result.generation.refused, result.generation.text


def test_most_unanswerable_questions_are_refused(qa: QuestionAnswering) -> None:
    refused = [asyncio.run(qa.ask(item["question"], 5)).generation.refused for item in UNANSWERABLE]
    assert sum(refused) >= len(UNANSWERABLE) - 2, refused
