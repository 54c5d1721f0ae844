"""The benchmark's pure parts and its load generator (on an in-process ASGI app)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from eval.load import LoadLevel, level_summary, parse_levels, parse_vmrss_kb
from eval.question_set import Evidence, QuestionItem
from eval.runner import stratified

STATUS = """Name:\tpython
VmPeak:\t 1000 kB
VmRSS:\t  114560 kB
Threads:\t4
"""


def test_parse_vmrss() -> None:
    assert parse_vmrss_kb(STATUS) == 114560
    assert parse_vmrss_kb("Name:\tkthreadd\n") is None


def test_parse_levels() -> None:
    assert parse_levels("1,8,32") == [1, 8, 32]
    for bad in ("", "1,x", "0", "1,1000"):
        with pytest.raises(ValueError):
            parse_levels(bad)


def test_level_summary_counts_only_successes_in_throughput() -> None:
    row = level_summary("ask", 8, [10.0, 20.0, 30.0, 40.0], {"503": 1}, elapsed_s=2.0)
    assert row["requests"] == 5 and row["errors"] == 1 and row["errors_by_status"] == {"503": 1}
    assert row["throughput_rps"] == 2.0
    assert row["latency_ms"]["p50"] == 25.0


def _app() -> tuple[FastAPI, list[int]]:
    app = FastAPI()
    seen: list[int] = []

    @app.post("/echo")
    async def echo(body: dict[str, int]) -> dict[str, int]:
        seen.append(body["n"])
        if body["n"] == 3:
            raise ValueError("boom")
        await asyncio.sleep(0.001)
        return body

    return app, seen


def test_a_level_sends_exactly_the_requested_count_round_robin() -> None:
    app, seen = _app()

    async def run() -> LoadLevel:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            level = LoadLevel(client, "/echo", [{"n": i} for i in range(5)], 4, requests=12)
            await level.run()
            return level

    level = asyncio.run(run())
    assert sorted(seen) == sorted([i % 5 for i in range(12)])
    assert level.errors == {"500": 2}  # n == 3 fails twice
    assert len(level.latencies_ms) == 10


def test_a_timed_level_stops_at_its_deadline() -> None:
    app, seen = _app()

    async def run() -> float:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await LoadLevel(client, "/echo", [{"n": 1}], 2, seconds=0.2).run()

    elapsed = asyncio.run(run())
    assert 0.2 <= elapsed < 2.0 and seen


def _item(i: int, qtype: str) -> QuestionItem:
    return QuestionItem(f"q{i}", qtype, "?", "!", (), (Evidence("d", "x"),), (), "s")  # type: ignore[arg-type]


def test_stratified_subsets_take_types_round_robin_in_file_order() -> None:
    items = [_item(1, "a"), _item(2, "a"), _item(3, "a"), _item(4, "b"), _item(5, "c")]
    assert [i.id for i in stratified(items, 3)] == ["q1", "q4", "q5"]
    assert [i.id for i in stratified(items, 4)] == ["q1", "q2", "q4", "q5"]
    assert stratified(items, None) == items
    assert stratified(items, 99) == items
