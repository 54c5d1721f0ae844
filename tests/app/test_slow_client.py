"""A client that trickles its body byte by byte does not hold the request past the body
timeout: a real socket against the app served by uvicorn on loopback."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from app.service import QuestionAnswering
from app.settings import Settings
from tests.app.apps import make_app, serve

pytestmark = pytest.mark.slow

TIMEOUT_S = 1.0
BODY = json.dumps({"query": "Samarbetet inom Nato", "k": 1}).encode()


@pytest.fixture(scope="module")
def base(settings: Settings, qa: QuestionAnswering) -> Iterator[str]:
    with serve(make_app(settings, qa, body_timeout_s=TIMEOUT_S)) as url:
        yield url


def _open(base: str, length: int) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = (
        f"POST /search HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
    sock.sendall(head.encode())
    return sock


def _trickle(sock: socket.socket, body: bytes, interval_s: float, for_s: float) -> bytes:
    """Sends `body` a byte every `interval_s` until the server answers (or `for_s` passes);
    returns everything the server sent until it closed the connection."""
    sock.setblocking(False)
    received = b""
    deadline = time.monotonic() + for_s
    for byte in body:
        try:
            sock.send(bytes([byte]))
        except OSError:  # the server closed the connection
            break
        time.sleep(interval_s)
        try:
            chunk = sock.recv(65536)
        except BlockingIOError:
            chunk = None
        except ConnectionResetError:
            # A byte sent after the server had answered and closed was answered with a reset;
            # what the server said before it has been read already.
            break
        if chunk is not None:
            received += chunk
            if chunk == b"":
                break
        if time.monotonic() > deadline:
            break
    sock.settimeout(5)
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except OSError:
        pass
    return received


def test_a_trickled_body_gets_a_408_and_its_connection_closed_at_the_timeout(base: str) -> None:
    sock = _open(base, len(BODY))
    started = time.monotonic()
    # A byte every 0.2 s: the whole body would take about 9 s.
    received = _trickle(sock, BODY, interval_s=0.2, for_s=8)
    elapsed = time.monotonic() - started
    sock.close()
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), received[:300]
    assert b"connection: close" in head.lower()
    assert json.loads(body)["error"]["code"] == "body_timeout"
    # Answered and closed at the timeout, not when the client chose to stop.
    assert TIMEOUT_S <= elapsed < TIMEOUT_S + 1.5, elapsed


def test_a_client_that_stops_sending_is_let_go_at_the_timeout(base: str) -> None:
    sock = _open(base, len(BODY))
    sock.sendall(BODY[:5])
    started = time.monotonic()
    sock.settimeout(TIMEOUT_S + 3)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    elapsed = time.monotonic() - started
    sock.close()
    assert received.startswith(b"HTTP/1.1 408"), received[:300]
    assert elapsed < TIMEOUT_S + 1.5, elapsed


def test_other_requests_are_served_while_clients_trickle(base: str) -> None:
    """Ten trickling clients at once hold nothing another request needs."""
    socks = [_open(base, len(BODY)) for _ in range(10)]
    for sock in socks:
        sock.sendall(BODY[:3])
    started = time.monotonic()
    response = httpx.post(f"{base}/search", json={"query": "Nato", "k": 1}, timeout=5)
    assert response.status_code == 200
    assert time.monotonic() - started < TIMEOUT_S, "served before the trickling ones timed out"
    for sock in socks:
        sock.settimeout(TIMEOUT_S + 3)
        assert sock.recv(65536).startswith(b"HTTP/1.1 408")
        sock.close()


def test_a_slow_but_steady_body_within_the_timeout_is_answered(base: str) -> None:
    sock = _open(base, len(BODY))
    # The whole body in about 0.5 s, half the timeout.
    received = _trickle(sock, BODY, interval_s=0.5 / len(BODY), for_s=5)
    sock.close()
    assert received.startswith(b"HTTP/1.1 200"), received[:300]
