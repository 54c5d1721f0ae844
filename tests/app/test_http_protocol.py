"""The served protocol sends a response's head and body in one write, so that a replica
killed between them leaves nothing half-sent for nginx. Real uvicorn, a raw socket on
loopback, and a tiny ASGI app that holds the event loop between head and body: the gap in
which a SIGKILL cuts a response."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from app.http_protocol import FLUSH_AT_BYTES
from tests.app.apps import serve

HOLD_S = 0.6
REQUEST = b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"


async def _held_between_head_and_body(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b"x" * 3800
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    time.sleep(HOLD_S)  # the loop is held, as another thread holding the GIL holds it
    await send({"type": "http.response.body", "body": body})


async def _streamed(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"first", "more_body": True})
    await asyncio.sleep(HOLD_S)
    await send({"type": "http.response.body", "body": b"second", "more_body": False})


async def _large(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = bytes(range(256)) * (3 * FLUSH_AT_BYTES // 256)
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for start in range(0, len(body), 4096):
        await send(
            {
                "type": "http.response.body",
                "body": body[start : start + 4096],
                "more_body": start + 4096 < len(body),
            }
        )


def _connect(base: str) -> socket.socket:
    parts = urlsplit(base)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _bytes_within(sock: socket.socket, seconds: float) -> bytes:
    """What arrives within `seconds` of asking."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pass
    return received


def _read_all(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_nothing_of_a_response_leaves_before_its_body_is_written() -> None:
    with serve(_held_between_head_and_body) as base, _connect(base) as sock:
        sock.sendall(REQUEST)
        early = _bytes_within(sock, HOLD_S / 2)
        rest = _read_all(sock)
    assert early == b""
    head, _, body = rest.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and body == b"x" * 3800


def test_uvicorns_own_protocol_sends_the_head_alone_which_is_the_gap_closed_here() -> None:
    with serve(_held_between_head_and_body, http=AutoHTTPProtocol) as base, _connect(base) as sock:
        sock.sendall(REQUEST)
        early = _bytes_within(sock, HOLD_S / 2)
    assert early.startswith(b"HTTP/1.1 200") and early.endswith(b"\r\n\r\n")


def test_a_stream_still_arrives_as_it_is_written() -> None:
    with serve(_streamed) as base, _connect(base) as sock:
        sock.sendall(REQUEST)
        early = _bytes_within(sock, HOLD_S / 2)
        rest = _read_all(sock)
    assert b"first" in early and b"second" not in early
    assert b"second" in rest


def test_a_body_larger_than_the_flush_threshold_arrives_whole_and_in_order() -> None:
    with serve(_large) as base, _connect(base) as sock:
        sock.sendall(REQUEST)
        response = _read_all(sock)
    _, _, body = response.partition(b"\r\n\r\n")
    assert body == bytes(range(256)) * (3 * FLUSH_AT_BYTES // 256)


def test_a_malformed_request_still_gets_its_400_before_the_close() -> None:
    with serve(_streamed) as base, _connect(base) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        response = _read_all(sock)
    assert response.startswith(b"HTTP/1.1 400")
