"""`/ask` with the openai backend: fallback, streaming, follow-ups, disconnects.

The LLM is a real loopback server speaking the Chat Completions protocol (tests/app/fake_llm.py);
retrieval, the store and the embedder are the real ones.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.wiring import build_question_answering
from indexer.embedders import Embedder
from tests.app.apps import serve
from tests.app.fake_llm import (
    answer,
    broken_stream,
    closed_port_url,
    endless_stream,
    fake_llm,
    first_passage_sentence,
    grounded,
    leak_canary,
    rewrite_then,
    slow,
    status,
)

pytestmark = pytest.mark.slow

QUESTION = "Vad säger strategin om samarbetet inom Nato?"


def ask(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/ask", json={"question": QUESTION, "backend": "openai", **body})
    assert response.status_code == 200, response.text
    return response.json()


def events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    assert response.headers["content-type"].startswith("text/event-stream")
    parsed = []
    for block in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((lines["event"], json.loads(lines["data"])))
    return parsed


def test_health_lists_both_backends(make_client: Any) -> None:
    with fake_llm(grounded()) as fake:
        body = make_client(fake.url).get("/health").json()
    assert body["backends"] == ["extractive", "openai"]


def test_a_grounded_answer_is_not_degraded(make_client: Any) -> None:
    with fake_llm(grounded()) as fake:
        body = ask(make_client(fake.url))
    assert body["backend"] == "openai" and not body["degraded"] and not body["refused"]
    assert body["answer"].endswith("[1].") and body["unsupported_sentences"] == []
    # The model (a well-behaved fake) quoted the first line of evidence [1] the prompt showed.
    quoted = body["answer"].removesuffix(" [1].")
    assert quoted[:60] in body["citations"][0]["text"]


def test_llm_down_falls_back_to_extractive_within_the_deadline(make_client: Any) -> None:
    client = make_client(closed_port_url(), deadline_s=3.0)
    started = time.monotonic()
    body = ask(client)
    assert time.monotonic() - started < 3.0
    assert body["degraded"] and body["backend"] == "openai" and not body["refused"]
    assert "[1]" in body["answer"] or "[2]" in body["answer"]


@pytest.mark.parametrize(
    "behaviour",
    [
        slow(10.0, grounded()),
        status(503),
        answer("Bananer är gula och växer i tropikerna."),
        answer('{"choices": broken'),
    ],
    ids=["too-slow", "503", "ungrounded", "garbage-text"],
)
def test_every_failure_answers_degraded(make_client: Any, behaviour: Any) -> None:
    with fake_llm(behaviour) as fake:
        started = time.monotonic()
        body = ask(make_client(fake.url, deadline_s=1.5))
    assert time.monotonic() - started < 4.0
    assert body["degraded"] and "[" in body["answer"]


def test_an_answer_that_leaks_the_system_prompt_is_discarded(make_client: Any) -> None:
    with fake_llm(answer(leak_canary)) as fake:
        client = make_client(fake.url)
        body = ask(client)
        stream = client.post(
            "/ask", json={"question": QUESTION, "backend": "openai", "stream": True}
        ).text
        canary = fake.requests[0].body["messages"][0]["content"].split("Intern kod: ")[1].split()[0]
    assert body["degraded"] and canary not in body["answer"]
    assert canary not in stream and '"degraded": true' in stream


TWO_PARTS = "Var hölls mötet med USA, och vilka departement ingick i den svenska delegationen?"
NOT_ANSWERED = "Dokumenten svarar inte på frågan ”Var hölls mötet med USA”."


def test_a_part_the_documents_do_not_answer_is_said_so_before_the_models_answer(
    make_client: Any,
) -> None:
    def quote_the_evidence(body: dict[str, Any]) -> str:
        # The evidence shown is the answered part's: its passage need not be the first.
        ref = int(re.findall(r'<passage nr="(\d+)"', body["messages"][-1]["content"])[0])
        return first_passage_sentence(body, ref)

    with fake_llm(answer(quote_the_evidence), answer(quote_the_evidence)) as fake:
        client = make_client(fake.url)
        body = ask(client, question=TWO_PARTS)
        stream = events(
            client.post("/ask", json={"question": TWO_PARTS, "backend": "openai", "stream": True})
        )
    assert body["backend"] == "openai" and not body["degraded"] and not body["refused"]
    assert body["answer"].startswith(NOT_ANSWERED + " ") and body["answer"].endswith("].")
    deltas = [data["text"] for name, data in stream if name == "delta"]
    assert deltas[0] == NOT_ANSWERED + " "
    assert stream[-1][1]["answer"] == "".join(deltas).strip()
    # The model was asked once per answer, only the answered part, with its evidence.
    assert len(fake.requests) == 2
    prompt = fake.requests[0].body["messages"][-1]["content"]
    assert "Vilka departement ingick i den svenska delegationen?" in prompt
    assert "Var hölls" not in prompt and "Försvarsdepartementet" in prompt


def test_a_part_not_answered_is_said_once_when_the_model_fails(make_client: Any) -> None:
    body = ask(make_client(closed_port_url(), deadline_s=3.0), question=TWO_PARTS)
    assert body["degraded"] and body["answer"].count(NOT_ANSWERED) == 1


def test_unanswerable_questions_are_refused_without_asking_the_llm(make_client: Any) -> None:
    with fake_llm(grounded()) as fake:
        body = ask(make_client(fake.url), question="Vem vann fotbolls-VM 2018?")
    assert body["refused"] and body["answer"] == "Det framgår inte av dokumenten."
    assert fake.requests == []


def test_stream_sends_citations_then_deltas_then_the_whole_answer(make_client: Any) -> None:
    with fake_llm(grounded()) as fake:
        response = make_client(fake.url).post(
            "/ask", json={"question": QUESTION, "backend": "openai", "stream": True}
        )
    stream = events(response)
    names = [name for name, _ in stream]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) > 3
    citations, done = stream[0][1], stream[-1][1]
    assert [c["ref"] for c in citations["citations"]] == list(range(1, 6))
    assert citations["search_query"] == QUESTION
    streamed = "".join(data["text"] for name, data in stream if name == "delta")
    assert done["answer"] == streamed.strip() and not done["degraded"]
    assert done["timings_ms"]["first_token"] is not None


def test_accept_header_asks_for_a_stream(make_client: Any) -> None:
    with fake_llm(grounded()) as fake:
        response = make_client(fake.url).post(
            "/ask",
            json={"question": QUESTION, "backend": "openai"},
            headers={"Accept": "text/event-stream"},
        )
    assert [name for name, _ in events(response)][-1] == "done"


def test_a_broken_stream_ends_with_a_degraded_answer(make_client: Any) -> None:
    with fake_llm(broken_stream(3)) as fake:
        response = make_client(fake.url).post(
            "/ask", json={"question": QUESTION, "backend": "openai", "stream": True}
        )
    stream = events(response)
    done = stream[-1][1]
    assert stream[-1][0] == "done" and done["degraded"] and "[" in done["answer"]


def test_extractive_stream_matches_the_plain_answer(make_client: Any) -> None:
    with fake_llm(grounded()) as fake:
        client = make_client(fake.url)
        plain = client.post("/ask", json={"question": QUESTION}).json()
        stream = events(client.post("/ask", json={"question": QUESTION, "stream": True}))
    assert stream[-1][1]["answer"] == plain["answer"] and plain["backend"] == "extractive"
    assert "".join(d["text"] for n, d in stream if n == "delta") == plain["answer"]
    assert fake.requests == []


def test_unknown_backend_with_stream_is_a_json_422(make_client: Any) -> None:
    with fake_llm(grounded()) as fake:
        response = make_client(fake.url).post(
            "/ask", json={"question": QUESTION, "backend": "gpt-9", "stream": True}
        )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "unknown_backend"


HISTORY = [
    {"role": "user", "content": "Vad säger strategin om Sveriges Natomedlemskap?"},
    {"role": "assistant", "content": "Medlemskapet ger nya möjligheter [1]."},
]


def test_follow_up_is_rewritten_by_the_llm(make_client: Any) -> None:
    rewritten = "Vad säger strategin om samarbetet mellan Nato och EU?"
    with fake_llm(rewrite_then(rewritten, grounded())) as fake:
        body = ask(make_client(fake.url), question="Och vad säger den om EU där?", history=HISTORY)
    assert body["search_query"] == rewritten
    assert (
        "Följdfråga: Och vad säger den om EU där?"
        in fake.requests[0].body["messages"][0]["content"]
    )


def test_follow_up_falls_back_to_the_heuristic_when_the_rewrite_fails(make_client: Any) -> None:
    with fake_llm(status(400), grounded()) as fake:
        body = ask(make_client(fake.url), question="Och vad säger den om EU där?", history=HISTORY)
    assert body["search_query"] == (
        "Vad säger strategin om Sveriges Natomedlemskap? Vad säger den om EU där?"
    )


def test_extractive_follow_up_uses_the_heuristic(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "Och vem ledde den?", "history": HISTORY})
    assert response.json()["search_query"].startswith("Vad säger strategin om Sveriges")


def test_a_client_that_hangs_up_stops_the_upstream_stream(
    settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    with fake_llm(endless_stream()) as fake:
        llm_settings = settings.model_copy(update={"llm_base_url": fake.url})
        app = create_app(llm_settings, qa=build_question_answering(llm_settings, embedder))
        with serve(app) as url:
            body = {"question": QUESTION, "backend": "openai", "stream": True}
            with httpx.stream("POST", f"{url}/ask", json=body, timeout=10) as response:
                for line in response.iter_lines():
                    if line.startswith("event: delta"):
                        break  # the model is talking: hang up
            assert fake.disconnected.wait(5.0), "the upstream stream kept running"
