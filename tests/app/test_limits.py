"""The pure and small parts of the limits: token buckets, the generation gate, the body limit."""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.api.body_limit import BodyLimitMiddleware
from app.limits.bucket import RateLimiter
from app.limits.gate import GateFull, GenerationGate

# Token buckets ----------------------------------------------------------------------------


def test_burst_then_refill_at_the_rate() -> None:
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", 0.0) == pytest.approx(1.0)
    assert limiter.take("a", 0.5) == pytest.approx(0.5)
    assert limiter.take("a", 1.0) == 0.0
    assert limiter.take("a", 1.0) > 0


def test_keys_have_their_own_buckets() -> None:
    limiter = RateLimiter(per_minute=60, burst=1)
    assert limiter.take("key:a", 0.0) == 0.0
    assert limiter.take("key:a", 0.0) > 0
    assert limiter.take("key:b", 0.0) == 0.0


def test_refill_never_exceeds_the_burst() -> None:
    limiter = RateLimiter(per_minute=120, burst=2)
    limiter.take("a", 0.0)
    assert [limiter.take("a", 3600.0) for _ in range(3)][-1] > 0


def test_memory_stays_bounded() -> None:
    limiter = RateLimiter(per_minute=60, burst=2, max_keys=100)
    for i in range(1000):
        limiter.take(f"ip:{i}", float(i) / 1000)
    assert len(limiter.buckets) <= 100


@given(st.lists(st.floats(min_value=0, max_value=0.5, allow_nan=False), min_size=1, max_size=200))
def test_never_more_than_burst_plus_rate_times_time(gaps: list[float]) -> None:
    limiter = RateLimiter(per_minute=600, burst=5)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        allowed += limiter.take("k", now) == 0.0
    assert allowed <= 5 + now * 10 + 1e-6


# The generation gate ----------------------------------------------------------------------


def test_gate_runs_slots_queues_then_refuses() -> None:
    async def main() -> None:
        gate = GenerationGate(slots=2, queue=1)
        await gate.acquire()
        await gate.acquire()
        assert gate.active == 2
        finished = anyio.Event()

        async def queued() -> None:
            await gate.acquire()
            finished.set()
            gate.release()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(queued)
            await anyio.wait_all_tasks_blocked()
            assert gate.waiting == 1
            with pytest.raises(GateFull):
                await gate.acquire()  # 2 running, 1 waiting: no pile-up
            gate.release()
            await finished.wait()
        gate.release()
        assert gate.active == 0 and gate.waiting == 0

    anyio.run(main)


def test_a_cancelled_waiter_leaves_the_queue() -> None:
    async def main() -> None:
        gate = GenerationGate(slots=1, queue=1)
        await gate.acquire()
        with anyio.move_on_after(0.05):
            await gate.acquire()
        assert gate.waiting == 0 and gate.active == 1
        gate.release()
        await gate.acquire()
        gate.release()

    anyio.run(main)


# The body limit, at the ASGI level -----------------------------------------------------------


async def _echo(scope: Any, receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    payload = json.dumps({"received": len(body)}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": payload})


def _call(chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, Any]]:
    app = BodyLimitMiddleware(_echo, max_bytes=1024)
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/ask", "headers": headers}
    anyio.run(app, scope, receive, send)
    status = sent[0]["status"]
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    return status, body


def test_small_chunked_body_passes_whole() -> None:
    status, body = _call([b"x" * 500, b"y" * 500], [])
    assert status == 200 and body == {"received": 1000}


def test_streamed_body_without_length_is_cut_at_the_limit() -> None:
    status, body = _call([b"x" * 600, b"y" * 600, b"z" * 10_000], [])
    assert status == 413
    assert body["error"]["code"] == "payload_too_large" and "1024" in body["error"]["message"]


def test_declared_length_over_the_limit_is_refused_unread() -> None:
    status, body = _call([b"x"], [(b"content-length", b"5000")])
    assert status == 413 and body["error"]["code"] == "payload_too_large"


def test_body_exactly_at_the_limit_passes() -> None:
    assert _call([b"x" * 1024], [(b"content-length", b"1024")])[0] == 200
