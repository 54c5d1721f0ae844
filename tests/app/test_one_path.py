"""One answer path: a plain and a streamed request for the same question end with the same
final answer and record the same metrics, for every eval question and under every LLM fault.

Real store, real embedder, the real app in-process; the LLM is the loopback fake that speaks
Chat Completions (tests/app/fake_llm.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from eval.question_set import load_questions
from tests.app.fake_llm import (
    Behaviour,
    answer,
    broken_stream,
    closed_port_url,
    endless_stream,
    fake_llm,
    grounded,
    leak_canary,
    malformed,
    slow,
    status,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
ITEMS = load_questions(REPO / "eval" / "questions.jsonl")
QUESTION = "Vad säger strategin om samarbetet inom Nato?"
# Everything of the response but the timings, which differ run by run.
FINAL = ("answer", "refused", "degraded", "backend", "citations", "search_query")
FINAL += ("unsupported_sentences",)


def done_event(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    blocks = response.text.strip().split("\n\n")
    names = [re.match(r"event: (\w+)", block).group(1) for block in blocks]  # type: ignore[union-attr]
    assert names[0] == "citations" and names[-1] == "done", names
    done: dict[str, Any] = json.loads(blocks[-1].split("data: ", 1)[1])
    return done


def final(body: dict[str, Any]) -> dict[str, Any]:
    return {field: body[field] for field in FINAL}


def plain_and_streamed(client: TestClient, body: dict[str, Any]) -> tuple[dict, dict]:
    plain = client.post("/ask", json=body)
    assert plain.status_code == 200, plain.text
    streamed = done_event(client.post("/ask", json={**body, "stream": True}))
    return final(plain.json()), final(streamed)


def answer_counts(client: TestClient) -> dict[str, float]:
    """rag_answers, rag_refusals and rag_degraded_answers by backend, from /metrics."""
    counts = {}
    for line in client.get("/metrics").text.splitlines():
        match = re.match(r"(rag_(?:answers|refusals|degraded_answers)_total\{[^}]*\}) (\S+)", line)
        if match:
            counts[match.group(1)] = float(match.group(2))
    return counts


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_every_eval_question_gets_the_same_answer_plain_and_streamed(
    client: TestClient, item: Any
) -> None:
    history = [{"role": t.role, "content": t.content} for t in item.history]
    plain, streamed = plain_and_streamed(
        client, {"question": item.question, "k": 5, "history": history}
    )
    assert streamed == plain


FAULTS: dict[str, Behaviour | None] = {
    "down": None,
    "too-slow": slow(5.0, grounded()),
    "503": status(503),
    "ungrounded": answer("Bananer är gula och växer i tropikerna [1]."),
    "garbage-json": malformed(),
    "broken-stream": broken_stream(),
    "leaks-the-prompt": answer(leak_canary),
    "endless": endless_stream(limit_s=5.0),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_llm_fault_ends_plain_and_streamed_with_the_same_answer_and_metrics(
    make_client: Any, fault: str
) -> None:
    behaviour = FAULTS[fault]
    body = {"question": QUESTION, "backend": "openai"}
    if behaviour is None:
        client = make_client(closed_port_url(), deadline_s=1.5)
        plain, streamed = plain_and_streamed(client, body)
    else:
        # A request deadline shorter than the upstream's, so "too slow" and "endless" meet it.
        with fake_llm(behaviour) as fake:
            client = make_client(fake.url, deadline_s=1.5, request_deadline_s=4.0)
            plain, streamed = plain_and_streamed(client, body)
    assert plain["degraded"] and not plain["refused"] and plain["backend"] == "openai"
    assert streamed == plain
    counts = answer_counts(client)
    assert counts['rag_answers_total{backend="openai"}'] == 2.0
    assert counts['rag_degraded_answers_total{backend="openai"}'] == 2.0


def test_a_grounded_llm_answer_is_the_same_plain_and_streamed(make_client: Any) -> None:
    with fake_llm(grounded()) as fake:
        plain, streamed = plain_and_streamed(
            make_client(fake.url), {"question": QUESTION, "backend": "openai"}
        )
    assert not plain["degraded"] and plain["answer"].endswith("[1].")
    assert streamed == plain
