"""Observability: JSON logs with a request id on every line, the question only at DEBUG,
Prometheus metrics at /metrics."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from app.logs import make_handler
from app.service import QuestionAnswering
from app.settings import Settings
from app.wiring import build_question_answering
from indexer.embedders import Embedder
from tests.app.apps import app_client
from tests.app.fake_llm import closed_port_url

pytestmark = pytest.mark.slow

QUESTION = "Vad säger strategin om samarbetet inom Nato?"


@contextmanager
def captured(level: int, log_format: str = "json") -> Iterator[io.StringIO]:
    """What `python -m app` writes: the root logger's one handler."""
    stream = io.StringIO()
    handler = make_handler("json" if log_format == "json" else "text", stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_request_id(settings: Settings, qa: QuestionAnswering) -> None:
    with app_client(settings, qa) as client, captured(logging.INFO) as stream:
        response = client.post(
            "/ask", json={"question": QUESTION}, headers={"X-Request-ID": "r-42"}
        )
        assert response.headers["x-request-id"] == "r-42"
    # The app's lines (the test client's own httpx log line is not the service's).
    records = [r for r in _records(stream) if str(r["logger"]).startswith("app")]
    assert records, "something was logged"
    for record in records:
        assert {"time", "level", "logger", "message", "request_id"} <= set(record)
        assert record["request_id"] == "r-42"
    access = [r for r in records if r["logger"] == "app.access"]
    assert access and access[-1]["status"] == 200 and access[-1]["route"] == "/ask"
    assert isinstance(access[-1]["duration_ms"], float)
    answered = [r for r in records if r["message"] == "answered"]
    assert answered and answered[0]["backend"] == "extractive"


@pytest.mark.parametrize("sent", [None, "", "x" * 200, "<script>", "a b"])
def test_a_missing_or_odd_request_id_is_replaced(
    settings: Settings, qa: QuestionAnswering, sent: str | None
) -> None:
    headers = {} if sent is None else {"X-Request-ID": sent}
    with app_client(settings, qa) as client:
        first = client.get("/health", headers=headers).headers["x-request-id"]
        second = client.get("/health", headers=headers).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second


def test_the_question_is_logged_only_at_debug(settings: Settings, qa: QuestionAnswering) -> None:
    secretive = "Vad säger strategin om Nato och hemliga Projekt Lodjur?"
    with app_client(settings, qa) as client:
        with captured(logging.INFO) as info:
            client.post("/ask", json={"question": secretive})
            client.post("/ask", json={"question": secretive, "stream": True})
            client.post("/search", json={"query": secretive})
        with captured(logging.DEBUG) as debug:
            client.post("/ask", json={"question": secretive})
    assert "Lodjur" not in info.getvalue()
    assert any(r.get("question") == secretive for r in _records(debug))


def test_text_format_for_people(settings: Settings, qa: QuestionAnswering) -> None:
    with app_client(settings, qa) as client, captured(logging.INFO, "text") as stream:
        client.get("/documents", headers={"X-Request-ID": "t-1"})
    assert re.search(r" INFO app\.access \[t-1\] GET /documents 200", stream.getvalue())


def _metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} {labels} not in /metrics")


def test_metrics(settings: Settings, qa: QuestionAnswering) -> None:
    with app_client(settings, qa) as client:
        client.post("/ask", json={"question": QUESTION})
        client.post("/ask", json={"question": "Hur stor budget har regeringen avsatt?"})
        client.post("/ask", json={"question": QUESTION, "stream": True})
        client.get("/chunks/strategi:0001")
        client.get("/chunks/strategi:0002")
        client.post("/ask", json={"question": ""})
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _metric(text, "rag_http_requests_total", route="/ask", status="200") == 3
    assert _metric(text, "rag_http_requests_total", route="/ask", status="422") == 1
    assert _metric(text, "rag_http_requests_total", route="/chunks/{chunk_id}") == 2
    for stage in ("rewrite", "retrieval", "generation", "total"):
        count = _metric(text, "rag_ask_stage_seconds_count", stage=stage, backend="extractive")
        assert count == 3
    assert _metric(text, "rag_http_request_duration_seconds_count", route="/ask") == 4
    assert _metric(text, "rag_answers_total", backend="extractive") == 3
    assert _metric(text, "rag_refusals_total", backend="extractive") == 1
    assert _metric(text, "rag_store_chunks") == qa.manifest["chunk_count"]
    assert _metric(text, "rag_store_build_seconds") > 0
    assert _metric(text, "rag_generations_active") == 0


def test_backend_errors_and_degraded_answers_are_counted(
    settings: Settings, embedder: Embedder
) -> None:
    down = settings.model_copy(
        update={"llm_base_url": closed_port_url(), "llm_max_attempts": 1, "llm_deadline_s": 2.0}
    )
    qa = build_question_answering(down, embedder)
    with app_client(down, qa) as client:
        body = client.post("/ask", json={"question": QUESTION, "backend": "openai"}).json()
        assert body["degraded"] is True
        text = client.get("/metrics").text
    assert _metric(text, "rag_backend_errors_total", backend="openai", stage="generation") == 1
    assert _metric(text, "rag_degraded_answers_total", backend="openai") == 1


def test_an_unknown_route_is_one_label(settings: Settings, qa: QuestionAnswering) -> None:
    with app_client(settings, qa) as client:
        for n in range(3):
            client.get(f"/nope/{n}")
        text = client.get("/metrics").text
    assert _metric(text, "rag_http_requests_total", route="unmatched", status="404") == 3
    assert "/nope/1" not in text


def test_metrics_is_not_in_the_api_schema(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
