"""The floor comparison's minimal HTTP/1.1 client against uvicorn on loopback."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.types import Receive, Scope, Send

from eval.wire import WireClient, WireError
from tests.app.apps import serve

CLIENT_PORTS: list[int] = []


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    CLIENT_PORTS.append(scope["client"][1])
    message = await receive()
    body = message.get("body", b"")
    path = scope["path"]
    if path == "/stream":  # no Content-Length: uvicorn sends it chunked
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.body", "body": b"b"})
        return
    status = 404 if path == "/missing" else 200
    headers = [(b"content-type", b"application/json")]
    if path == "/close":
        headers.append((b"connection", b"close"))
    answer = json.dumps({"method": scope["method"], "path": path, "body": body.decode()})
    headers.append((b"content-length", str(len(answer.encode())).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.encode()})


def test_requests_share_one_connection_and_return_status_and_body() -> None:
    CLIENT_PORTS.clear()

    async def run(url: str) -> list[tuple[int, bytes]]:
        wire = await WireClient.connect(url)
        try:
            return [
                await wire.request("GET", "/health"),
                await wire.request("POST", "/search", b'{"query": "Nato"}'),
                await wire.request("GET", "/missing"),
            ]
        finally:
            await wire.close()

    with serve(app) as url:
        answers = asyncio.run(run(url))
    assert [status for status, _ in answers] == [200, 200, 404]
    assert json.loads(answers[1][1]) == {
        "method": "POST",
        "path": "/search",
        "body": '{"query": "Nato"}',
    }
    assert len(set(CLIENT_PORTS)) == 1


def test_a_closed_connection_is_opened_again_for_the_next_request() -> None:
    CLIENT_PORTS.clear()

    async def run(url: str) -> list[int]:
        wire = await WireClient.connect(url)
        try:
            return [(await wire.request("GET", path))[0] for path in ("/close", "/health")]
        finally:
            await wire.close()

    with serve(app) as url:
        assert asyncio.run(run(url)) == [200, 200]
    assert len(set(CLIENT_PORTS)) == 2


def test_a_response_without_content_length_is_refused() -> None:
    async def run(url: str) -> None:
        wire = await WireClient.connect(url)
        try:
            await wire.request("GET", "/stream")
        finally:
            await wire.close()

    with serve(app) as url, pytest.raises(WireError, match="Content-Length"):
        asyncio.run(run(url))


def test_only_plain_http_urls() -> None:
    with pytest.raises(WireError, match="http://"):
        asyncio.run(WireClient.connect("https://127.0.0.1:8000"))
