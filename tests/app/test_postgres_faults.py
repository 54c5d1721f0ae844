"""The PostgreSQL server killed (SIGKILL) under queries, feedback writes and a build:
503s with Retry-After while it is down, never a 500; every feedback row that got a 201 is
there afterwards; a build it interrupted leaves nothing; the service recovers by itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from app.main import create_app
from app.settings import Settings
from app.wiring import build_question_answering
from indexer.embedders import Embedder
from localdb.server import LocalPostgres
from tests.app.apps import serve
from tests.postgres import (
    build_postgres,
    chunk_tables,
    fresh_database,
    generations,
    running_server,
    start_killable_build,
)

RATING = {
    "question": "Vad säger strategin om Nato?",
    "answer": "Sverige ska … [1]",
    "rating": "up",
    "citations": ["strategi:0001"],
    "backend": "extractive",
}


@pytest.fixture
def doomed(
    corpus_dir: Path, store_dir: Path, embedder: Embedder
) -> Iterator[tuple[LocalPostgres, str]]:
    """A server of its own (it gets killed), holding the corpus."""
    with running_server() as server:
        url = fresh_database(server, "faults")
        build_postgres(url, corpus_dir, store_dir, embedder)
        yield server, url


def _restart(server: LocalPostgres) -> None:
    server.kill()
    time.sleep(1.0)
    server.start()


def test_killed_under_queries_and_feedback_writes(
    doomed: tuple[LocalPostgres, str], settings: Settings, embedder: Embedder
) -> None:
    server, url = doomed
    pg_settings = settings.model_copy(update={"store": "postgres", "database_url": SecretStr(url)})
    qa = build_question_answering(pg_settings, embedder=embedder)
    statuses: list[int] = []
    problems: list[str] = []
    acknowledged: list[int] = []
    stop = threading.Event()

    def client(base: str, path: str, body: dict[str, object]) -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                try:
                    answer = http.post(f"{base}{path}", json=body)
                except httpx.HTTPError as exc:
                    problems.append(f"{path}: {exc!r}")
                    continue
                statuses.append(answer.status_code)
                if answer.status_code == 201:
                    acknowledged.append(answer.json()["id"])
                elif answer.status_code == 503:
                    if not answer.headers.get("retry-after"):
                        problems.append(f"{path}: 503 without Retry-After")
                elif answer.status_code != 200:
                    problems.append(f"{path}: {answer.status_code} {answer.text[:120]}")

    with serve(create_app(pg_settings, qa=qa)) as base:
        workers = [
            threading.Thread(target=client, args=(base, "/search", {"query": "Nato"})),
            threading.Thread(target=client, args=(base, "/ask", {"question": "Vad gör OSSE?"})),
            threading.Thread(target=client, args=(base, "/feedback", RATING)),
            threading.Thread(target=client, args=(base, "/feedback", RATING)),
        ]
        for worker in workers:
            worker.start()
        time.sleep(1.5)
        _restart(server)
        time.sleep(3.0)
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
        # Recovered by itself: the load's last requests, and these, are served.
        assert httpx.post(f"{base}/search", json={"query": "Nato"}, timeout=30).status_code == 200
        exported = httpx.get(f"{base}/feedback/export", timeout=30)
    qa.retriever.store.close()
    assert problems == [], problems[:5]
    assert 503 in statuses, "the kill was seen by the clients"
    assert statuses.count(201) >= 2 and statuses.count(200) >= 2
    stored = {line.split('"id": ')[1].split(",")[0] for line in exported.text.splitlines()}
    lost = {str(i) for i in acknowledged} - stored
    print(
        f"\nPostgreSQL killed under load: {len(statuses)} requests, {statuses.count(503)} 503s "
        f"with Retry-After, {statuses.count(500)} 500s; {len(acknowledged)} feedback rows got "
        f"a 201, {len(lost)} lost"
    )
    assert not lost, "a row that got a 201 was lost"


def test_killed_during_a_build(doomed: tuple[LocalPostgres, str]) -> None:
    server, url = doomed
    before = generations(url)
    build = start_killable_build(url)
    _restart(server)
    _, errors = build.communicate(timeout=60)
    assert build.returncode != 0
    assert "unreachable" in errors or "terminat" in errors, errors[-500:]
    assert generations(url) == before
    assert chunk_tables(url) == {f"rag_chunks_{g}" for g, _ in before}
