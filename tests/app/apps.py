"""Helpers: the app with other settings over the session's loaded system, in-process or
served by uvicorn on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.http_protocol import CoalescingHTTPProtocol
from app.main import create_app
from app.service import QuestionAnswering
from app.settings import Settings


def make_app(settings: Settings, qa: QuestionAnswering | None, **overrides: Any) -> FastAPI:
    return create_app(settings.model_copy(update=overrides), qa=qa)


@contextmanager
def app_client(
    settings: Settings,
    qa: QuestionAnswering | None,
    client: tuple[str, int] = ("testclient", 50000),
    **overrides: Any,
) -> Iterator[TestClient]:
    with TestClient(make_app(settings, qa, **overrides), client=client) as test_client:
        yield test_client


@contextmanager
def serve(app: Any, http: Any = CoalescingHTTPProtocol) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread, with the protocol
    `python -m app` serves with; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", proxy_headers=False, http=http
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
