"""SIGTERM with requests in flight: they finish, then `python -m app` exits; no feedback row
is lost."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from app.feedback.store import FEEDBACK_FILE
from app.settings import Settings
from tests.app.fake_llm import fake_llm, grounded, slow

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
QUESTIONS = [
    "Vad säger strategin om samarbetet inom Nato?",
    "Vad är NB8?",
    "Hur många förtroendeskapande åtgärder har OSSE antagit?",
]


def _feedback(number: int) -> bytes:
    body = {
        "question": "Vad är NB8?",
        "answer": "De nordiska och baltiska länderna. [1]",
        "rating": "up",
        "backend": "openai",
        "comment": str(number),
    }
    return json.dumps(body).encode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(settings: Settings, data_dir: Path, llm_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_STORE_DIR=str(settings.store_dir),
        RAG_CORPUS_DIR=str(settings.corpus_dir),
        RAG_DATA_DIR=str(data_dir),
        RAG_LLM_BASE_URL=llm_url,
        RAG_DEFAULT_BACKEND="openai",
        RAG_LLM_DEADLINE_S="30",
        RAG_LLM_READ_TIMEOUT_S="30",
        RAG_GRACEFUL_SHUTDOWN_S="30",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,  # the JSON log lines (a few dozen here)
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
                return process, base
        except httpx.TransportError:
            time.sleep(0.3)


def test_sigterm_lets_requests_in_flight_finish(settings: Settings, tmp_path: Path) -> None:
    release_uploads = threading.Event()

    def slow_upload(number: int) -> Iterator[bytes]:
        body = _feedback(number)
        yield body[:20]  # the request is in flight: headers and part of the body are sent
        release_uploads.wait(30)
        yield body[20:]

    with fake_llm(slow(2.0, grounded())) as fake:
        process, base = _start(settings, tmp_path / "data", fake.url)
        try:
            with ThreadPoolExecutor(8) as pool:
                asks = [
                    pool.submit(
                        httpx.post,
                        f"{base}/ask",
                        json={"question": q, "stream": i == 0},
                        timeout=60,
                    )
                    for i, q in enumerate(QUESTIONS)
                ]
                posts = [
                    pool.submit(
                        httpx.post,
                        f"{base}/feedback",
                        content=slow_upload(n),
                        headers={"content-type": "application/json"},
                        timeout=60,
                    )
                    for n in range(4)
                ]
                deadline = time.monotonic() + 20
                while len(fake.requests) < len(QUESTIONS) and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert len(fake.requests) == len(QUESTIONS), "every answer is being generated"
                time.sleep(0.3)
                process.send_signal(signal.SIGTERM)
                time.sleep(0.5)
                assert process.poll() is None, "still finishing what it started"
                with pytest.raises(httpx.TransportError):
                    httpx.get(f"{base}/health", timeout=2)  # no new connections
                release_uploads.set()
                answers = [future.result() for future in asks]
                stored = [future.result() for future in posts]
            assert [r.status_code for r in answers] == [200, 200, 200]
            assert "event: done" in answers[0].text
            assert all(not r.json()["degraded"] for r in answers[1:])
            assert [r.status_code for r in stored] == [201, 201, 201, 201]
            assert process.wait(timeout=40) in (0, -signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
            stdout, stderr = (out.decode() for out in process.communicate())
    assert "Traceback" not in stderr and "Traceback" not in stdout
    assert all(json.loads(line)["level"] != "ERROR" for line in stdout.splitlines())
    with sqlite3.connect(tmp_path / "data" / FEEDBACK_FILE) as connection:
        comments = sorted(row[0] for row in connection.execute("SELECT comment FROM feedback"))
    assert comments == ["0", "1", "2", "3"]
