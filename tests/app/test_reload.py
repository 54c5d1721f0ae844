"""A rebuilt store swapped in while the service runs: POST /admin/reload or SIGHUP loads it
atomically; answers in flight finish on the old one; a bad store is refused, the old serves."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.access.keys import key_line, new_key
from app.main import create_app
from app.settings import Settings
from app.wiring import build_question_answering
from indexer.build import build_store
from indexer.chunking import ChunkerSettings
from indexer.embedders import Embedder
from tests.app.apps import serve
from tests.app.fake_llm import fake_llm, grounded, slow

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = ("127.0.0.1", 50000)
NEW_DOC = """# Övningen Norrsken

Cyberövningen Norrsken 2027 samlade 400 deltagare från tolv länder i Luleå. Övningen prövade
hur myndigheter delar lägesbilder vid ett omfattande cyberangrepp mot elnätet.
"""
NEW_QUESTION = "Hur många deltagare samlade cyberövningen Norrsken?"


@pytest.fixture(scope="module")
def extended_store(
    tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, embedder: Embedder
) -> Path:
    """The corpus plus one document, built by the real builder."""
    corpus = tmp_path_factory.mktemp("extended") / "corpus"
    shutil.copytree(corpus_dir, corpus)
    (corpus / "norrsken.md").write_text(NEW_DOC, encoding="utf-8")
    with (corpus / "manifest.toml").open("a", encoding="utf-8") as manifest:
        manifest.write(
            '\n[[documents]]\nid = "norrsken"\ntitle = "Övningen Norrsken"\nkind = "rapport"\n'
            'language = "sv"\nfile = "norrsken.md"\nformat = "markdown"\n'
        )
    store = corpus.parent / "store"
    build_store(corpus, store, embedder, ChunkerSettings(), hnsw_threshold=50_000)
    return store


def swap_in(built: Path, store_dir: Path) -> None:
    """What the builder does last: a complete store beside the old one, then two renames."""
    staging = store_dir.parent / f".{store_dir.name}.tmp-test"
    old = store_dir.parent / f".{store_dir.name}.old-test"
    shutil.copytree(built, staging)
    os.rename(store_dir, old)
    os.rename(staging, store_dir)
    shutil.rmtree(old)


@pytest.fixture
def served_store(tmp_path: Path, store_dir: Path) -> Path:
    served = tmp_path / "store"
    shutil.copytree(store_dir, served)
    return served


def _documents(client: TestClient | httpx.Client, **kwargs: Any) -> set[str]:
    response = client.get("/documents", **kwargs)
    assert response.status_code == 200, response.text
    return {d["id"] for d in response.json()["documents"]}


def test_reload_swaps_the_store_and_refuses_bad_ones(
    settings: Settings,
    embedder: Embedder,
    served_store: Path,
    extended_store: Path,
    tmp_path: Path,
) -> None:
    with fake_llm(slow(1.5, grounded())) as fake:
        llm_settings = settings.model_copy(
            update={"store_dir": served_store, "llm_base_url": fake.url, "data_dir": tmp_path}
        )
        qa = build_question_answering(llm_settings, embedder)
        app = create_app(llm_settings, qa=qa)
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            assert _documents(client) == {"strategi", "pressmeddelande"}
            in_flight: dict[str, Any] = {}

            def ask_slowly() -> None:
                body = {"question": "Vad säger strategin om samarbetet inom Nato?"}
                response = httpx.post(f"{url}/ask", json={**body, "backend": "openai"}, timeout=30)
                in_flight["response"] = response

            thread = threading.Thread(target=ask_slowly)
            thread.start()
            deadline = time.monotonic() + 10
            while not fake.requests and time.monotonic() < deadline:
                time.sleep(0.02)
            assert fake.requests, "the answer is being generated on the old store"

            swap_in(extended_store, served_store)
            reloaded = client.post("/admin/reload")
            assert reloaded.status_code == 200, reloaded.text
            assert reloaded.json()["status"] == "reloaded"
            assert app.state.qa is not qa

            thread.join(timeout=30)
            answered = in_flight["response"]
            assert answered.status_code == 200
            assert answered.json()["degraded"] is False, "the old system kept its LLM client"

            assert _documents(client) == {"strategi", "pressmeddelande", "norrsken"}
            body = client.post("/ask", json={"question": NEW_QUESTION}).json()
            assert "400" in body["answer"] and body["citations"][0]["doc_id"] == "norrsken"

            # A corrupt store: refused with a clear error; the one in use keeps serving.
            (served_store / "chunks.jsonl").write_text("{not json\n", encoding="utf-8")
            refused = client.post("/admin/reload")
            assert refused.status_code == 409
            error = refused.json()["error"]
            assert error["code"] == "reload_failed" and "chunks.jsonl" in error["message"]
            assert "still serving" in error["message"]
            assert client.post("/ask", json={"question": NEW_QUESTION}).status_code == 200
            assert "norrsken" in _documents(client)

            # A store built for another embedding model: refused too.
            swap_in(extended_store, served_store)
            manifest_path = served_store / "manifest.json"
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            manifest["embedder"]["model"] = "intfloat/multilingual-e5-large"
            manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
            refused = client.post("/admin/reload")
            assert refused.status_code == 409
            assert "multilingual-e5-large" in refused.json()["error"]["message"]
            chunk_count = app.state.qa.manifest["chunk_count"]
            assert client.get("/health").json()["store"]["chunk_count"] == chunk_count
            metrics = client.get("/metrics").text
            assert 'rag_store_reloads_total{outcome="ok"} 1.0' in metrics
            assert 'rag_store_reloads_total{outcome="failed"} 2.0' in metrics
            assert f"rag_store_chunks {float(chunk_count)}" in metrics


def test_reload_is_for_loopback_or_a_key(
    settings: Settings, embedder: Embedder, served_store: Path
) -> None:
    reload_settings = settings.model_copy(update={"store_dir": served_store})
    qa = build_question_answering(reload_settings, embedder)
    with TestClient(create_app(reload_settings, qa=qa)) as remote:
        forbidden = remote.post("/admin/reload")
        assert forbidden.status_code == 403 and "127.0.0.1" in forbidden.json()["error"]["message"]
    with TestClient(create_app(reload_settings, qa=qa), client=LOOPBACK) as local:
        assert local.post("/admin/reload").status_code == 200
    key = new_key()
    keyed = reload_settings.model_copy(update={"api_keys": key_line("ops", key)})
    with TestClient(create_app(keyed, qa=qa), client=LOOPBACK) as client:
        assert client.post("/admin/reload").status_code == 401
        ok = client.post("/admin/reload", headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200


@pytest.fixture
def service(served_store: Path, settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    port = httpx_free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_STORE_DIR=str(served_store),
        RAG_CORPUS_DIR=str(settings.corpus_dir),
        RAG_DATA_DIR=str(tmp_path / "data"),
        RAG_LOG_FORMAT="json",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,  # the JSON log lines
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"service did not start: {process.communicate()[1].decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    try:
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def httpx_free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(condition: Any, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_sighup_reloads_the_real_service(
    service: tuple[str, Any], served_store: Path, extended_store: Path
) -> None:
    base, process = service
    with httpx.Client(base_url=base, timeout=30) as client:
        assert _documents(client) == {"strategi", "pressmeddelande"}
        swap_in(extended_store, served_store)
        process.send_signal(signal.SIGHUP)
        assert _wait_for(lambda: "norrsken" in _documents(client)), "SIGHUP did not reload"
        (served_store / "chunks.faiss").write_bytes(b"garbage")
        process.send_signal(signal.SIGHUP)
        time.sleep(3)
        assert process.poll() is None, "a bad store must not stop the service"
        assert "norrsken" in _documents(client)
        assert client.post("/ask", json={"question": NEW_QUESTION}).status_code == 200
    process.terminate()
    stdout, _ = process.communicate(timeout=30)
    records = [json.loads(line) for line in stdout.decode().splitlines()]
    messages = [r["message"] for r in records]
    assert "store reloaded" in messages
    refused = [r for r in records if r["message"].startswith("store reload refused")]
    assert refused and "chunks.faiss" in refused[0]["message"] and refused[0]["level"] == "ERROR"
