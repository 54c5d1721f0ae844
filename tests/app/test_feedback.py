"""Feedback over HTTP: stored durably in SQLite, exported as JSON Lines or CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.feedback.export import to_csv, to_jsonl
from app.feedback.store import FeedbackEntry, FeedbackStore, StoredFeedback
from app.main import create_app
from app.service import QuestionAnswering
from app.settings import Settings

pytestmark = pytest.mark.slow

GOOD = {
    "question": "Hur många förtroendeskapande åtgärder har OSSE antagit?",
    "answer": "OSSE har antagit 16 förtroendeskapande åtgärder på cyberområdet. [1]",
    "rating": "up",
    "comment": "Tydligt, med rätt källa.",
    "citations": [
        {
            "ref": 1,
            "chunk_id": "strategi:0061",
            "doc_id": "strategi",
            "title": "Strategi",
            "section": "4. Internationella samarbeten › OSSE",
            "page": 18,
        }
    ],
    "backend": "extractive",
    "search_query": "förtroendeskapande åtgärder OSSE",
}


def _client(settings: Settings, qa: QuestionAnswering, data_dir: Path) -> TestClient:
    return TestClient(create_app(settings.model_copy(update={"data_dir": data_dir}), qa=qa))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def client(settings: Settings, qa: QuestionAnswering, data_dir: Path) -> Iterator[TestClient]:
    with _client(settings, qa, data_dir) as test_client:
        yield test_client


def _export(client: TestClient, fmt: str = "jsonl") -> list[dict[str, object]]:
    response = client.get("/feedback/export", params={"format": fmt})
    assert response.status_code == 200
    return [json.loads(line) for line in response.text.splitlines()]


def test_feedback_is_stored_with_answer_and_citations(client: TestClient, data_dir: Path) -> None:
    response = client.post("/feedback", json=GOOD)
    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["id"], int) and body["stored_at"].endswith("+00:00")
    assert (data_dir / "feedback.sqlite3").is_file()
    [row] = _export(client)
    assert row["question"] == GOOD["question"] and row["answer"] == GOOD["answer"]
    assert row["rating"] == "up" and row["comment"] == GOOD["comment"]
    assert row["backend"] == "extractive" and row["search_query"] == GOOD["search_query"]
    assert row["citations"] == GOOD["citations"]
    assert row["stored_at"] == body["stored_at"] and row["id"] == body["id"]


def test_plain_chunk_ids_and_no_comment_are_accepted(client: TestClient) -> None:
    body = {**GOOD, "rating": "down", "comment": "   ", "citations": ["strategi:0001"]}
    assert client.post("/feedback", json=body).status_code == 201
    [row] = _export(client)
    assert row["comment"] is None and row["citations"] == [{"chunk_id": "strategi:0001"}]


def test_feedback_survives_a_restart(
    settings: Settings, qa: QuestionAnswering, data_dir: Path
) -> None:
    with _client(settings, qa, data_dir) as first:
        first.post("/feedback", json=GOOD)
        first.post("/feedback", json={**GOOD, "rating": "down"})
    with _client(settings, qa, data_dir) as second:
        rows = _export(second)
        assert [r["rating"] for r in rows] == ["up", "down"]
        assert second.post("/feedback", json=GOOD).json()["id"] == 3


def test_csv_export_for_evaluators(client: TestClient) -> None:
    client.post("/feedback", json={**GOOD, "comment": '=HYPERLINK("x")'})
    response = client.get("/feedback/export?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="feedback.csv"' in response.headers["content-disposition"]
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert row["question"] == GOOD["question"] and row["rating"] == "up"
    assert row["citations"] == "[1] strategi:0061"
    assert row["comment"].startswith("'="), "formula-like cells are defused"


def test_jsonl_export_headers(client: TestClient) -> None:
    response = client.get("/feedback/export")
    assert response.status_code == 200 and response.text == ""
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert 'filename="feedback.jsonl"' in response.headers["content-disposition"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": "meh"}, "rating"),
        ({"comment": "x" * 2001}, "comment"),
        ({"question": "   "}, "question"),
        ({"answer": ""}, "answer"),
        ({"citations": [{"ref": 1}]}, "citations.0"),
        ({"mood": "glad"}, "mood"),
    ],
)
def test_bad_feedback_is_refused_with_a_message(
    client: TestClient, change: dict[str, object], field: str
) -> None:
    response = client.post("/feedback", json={**GOOD, **change})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and field in error["message"]
    assert any(d["field"].startswith(field) for d in error["details"])
    assert _export(client) == []


def test_missing_field_and_wrong_content_type(client: TestClient) -> None:
    body = {k: v for k, v in GOOD.items() if k != "rating"}
    assert client.post("/feedback", json=body).status_code == 422
    response = client.post("/feedback", content=json.dumps(GOOD).encode())
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]["message"]
    response = client.post("/feedback", content=b"{", headers={"content-type": "application/json"})
    assert response.status_code == 400


def test_unknown_export_format(client: TestClient) -> None:
    response = client.get("/feedback/export?format=xml")
    assert response.status_code == 422
    assert "jsonl" in response.json()["error"]["message"]


def test_unwritable_store_answers_503(
    settings: Settings, qa: QuestionAnswering, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    with _client(settings, qa, blocker) as client:
        response = client.post("/feedback", json=GOOD)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "feedback_unavailable"
        assert client.get("/feedback/export").status_code == 503


def test_security_headers_on_api_and_page(client: TestClient) -> None:
    for path in ("/", "/health", "/feedback/export", "/static/main.js"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in client.get("/docs").headers
    assert client.get("/").headers["content-type"].startswith("text/html")


def test_export_functions_are_pure() -> None:
    entry = FeedbackEntry("Fråga?", "Svar. [1]", "down", None, ({"chunk_id": "a:1"},), "x")
    items = [StoredFeedback(7, "2026-01-01T00:00:00+00:00", entry)]
    assert json.loads(to_jsonl(items))["id"] == 7
    assert to_csv(items).splitlines()[1].startswith("7,2026-01-01T00:00:00+00:00,down,Fråga?")
    assert FeedbackStore(Path("/nonexistent/never-touched")).path.name == "never-touched"


def test_a_jsonl_record_stays_on_one_line_whatever_line_ends_its_texts_hold() -> None:
    """U+0085, U+2028 and U+2029 are line ends to str.splitlines and older JavaScript; the
    stateful fuzz found a citation section holding one, which split its record in two."""
    odd = "a\x85b\u2028c\u2029d\\\u2028e"
    entry = FeedbackEntry(
        "Fråga?", "Svar. [1]", "up", odd, ({"chunk_id": "a:1", "section": odd},), "x"
    )
    items = [StoredFeedback(1, "2026-01-01T00:00:00+00:00", entry)] * 2
    lines = to_jsonl(items).splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0])["comment"] == odd
    assert json.loads(lines[1])["citations"][0]["section"] == odd
