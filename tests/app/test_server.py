"""The real service started as users start it (`python -m app`), on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.settings import Settings

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(overrides)
    return env


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port)],
        cwd=REPO,
        env=_env(RAG_STORE_DIR=str(settings.store_dir), RAG_CORPUS_DIR=str(settings.corpus_dir)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(
            f"service did not start: {process.stderr.read().decode() if process.stderr else ''}"
        )
    yield base
    process.terminate()
    process.wait(timeout=20)


def test_ask_over_real_http(server: str) -> None:
    response = httpx.post(f"{server}/ask", json={"question": "Vad är NB8?", "k": 5}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert not body["refused"] and "[" in body["answer"]


def test_bad_input_over_real_http(server: str) -> None:
    response = httpx.post(
        f"{server}/ask", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "Traceback" not in response.text


def test_missing_store_exits_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "--port", str(_free_port())],
        cwd=REPO,
        env=_env(RAG_STORE_DIR=str(tmp_path / "nowhere")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "make index" in lines[0]


def test_invalid_setting_names_the_variable(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=REPO,
        env=_env(RAG_PORT="eighty"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "RAG_PORT" in result.stderr and "Traceback" not in result.stderr
