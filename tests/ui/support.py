"""Helpers for the browser tests: the service in a subprocess, asking, screenshots."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


NATO = "Vad säger strategin om samarbetet inom Nato?"
MARS = "Hur många invånare har Mars?"
DONE = re.compile(r"\banswer-done\b")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def run_service(store_dir: Path, corpus_dir: Path, data_dir: Path) -> Iterator[str]:
    """`python -m app` on a free loopback port; yields its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(
        RAG_STORE_DIR=str(store_dir),
        RAG_CORPUS_DIR=str(corpus_dir),
        RAG_DATA_DIR=str(data_dir),
        RAG_RATE_LIMIT_PER_MINUTE="0",  # one browser asks faster than any person
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    try:
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"service did not start: {stderr[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def screenshot(page: Any, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def ask(page: Any, question: str) -> Any:
    """Types a question, sends it with Enter and returns the finished answer's locator."""
    count = page.locator(".answer").count()
    page.locator("#question").fill(question)
    page.locator("#question").press("Enter")
    answer = page.locator(".answer").nth(count)
    expect(answer).to_have_class(DONE, timeout=30_000)
    return answer


def ask_requests(page: Any) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: bodies.append(json.loads(r.post_data)) if r.url.endswith("/ask") else None,
    )
    return bodies
