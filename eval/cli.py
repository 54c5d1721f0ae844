"""`python -m eval`: retrieval and answer quality on eval/questions.jsonl.

Runs in-process by default, or against a running service with --url. Writes
eval/reports/<timestamp>/ (report.md, results.json, charts), prints a summary and the
deltas against eval/baseline.json, and exits 1 when a --fail-under/--fail-over gate fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import httpx

from eval import charts
from eval.arguments import at_least_one
from eval.gates import (
    Gate,
    baseline_payload,
    check_known,
    comparable,
    deltas,
    failures,
    flatten,
    is_headline,
    metric_names,
)
from eval.gates import parse_gate as _parse_gate
from eval.question_set import QuestionItem, load_questions
from eval.report import REPORTS, delta_table, new_report_dir, render_markdown, summary, write_report
from eval.runner import run_eval, stratified
from eval.targets import HttpTarget, InProcessTarget, Target

QUESTIONS = Path(__file__).with_name("questions.jsonl")
BASELINE = Path(__file__).with_name("baseline.json")


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _gate(direction: str) -> Any:
    def parse(spec: str) -> Gate:
        try:
            return _parse_gate(spec, "under" if direction == "under" else "over")
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = f"--fail-{direction} gate"
    return parse


def build_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m eval", description=__doc__)
    add = parser.add_argument
    add("--url", help="evaluate a running service (e.g. http://127.0.0.1:8000)")
    add("--api-key", help="with --url: sent as `Authorization: Bearer KEY`")
    add("--questions", type=Path, default=QUESTIONS)
    add(
        "--backend",
        action="append",
        dest="backends",
        metavar="NAME",
        help="answer backend to evaluate (repeatable; default: extractive)",
    )
    add("--limit", type=at_least_one, help="evaluate N questions, taken round-robin over types")
    add(
        "--fail-under",
        action="append",
        type=_gate("under"),
        default=[],
        metavar="METRIC=VALUE",
        help="exit 1 when METRIC is below VALUE (repeatable), e.g. hybrid.recall@5=0.90",
    )
    add(
        "--fail-over",
        action="append",
        type=_gate("over"),
        default=[],
        metavar="METRIC=VALUE",
        help="exit 1 when METRIC is above VALUE, e.g. false_refusal_rate=0.05",
    )
    add("--baseline", type=Path, default=BASELINE, help="figures to compare with")
    add("--write-baseline", action="store_true", help="save this run's figures as the baseline")
    add("--reports", type=Path, default=REPORTS, help="where report folders go")
    add("--no-charts", action="store_true", help="skip the PNG charts")
    add("--no-progress", action="store_true", help="no progress bar")
    return parser


def fail(message: str) -> int:
    print(f"python -m eval: error: {message}", file=sys.stderr)
    return 2


async def open_target(url: str | None, api_key: str | None = None) -> Target:
    if url:
        return await HttpTarget.connect(url, api_key)
    from app.settings import load_settings
    from app.wiring import build_question_answering

    return InProcessTarget(build_question_answering(load_settings()))


def _chart_files(folder: Path, results: dict[str, Any]) -> list[str]:
    curves = {mode: agg["curve"] for mode, agg in results["retrieval"].items()}
    rows = results["questions"]
    series = {
        f"search {m} (ms)": [r["search_ms"][m] for r in rows if m in r["search_ms"]]
        for m in results["retrieval"]
    }
    for backend in results["answers"]:
        series[f"ask {backend} total (ms)"] = [
            a["total_ms"] for r in rows if (a := r["answers"].get(backend)) and a["total_ms"]
        ]
    made = [charts.recall_curves(folder, curves), charts.latency_histograms(folder, series)]
    return [name for name in made if name]


def _baseline(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return data


async def evaluate(args: argparse.Namespace, items: list[QuestionItem]) -> int:
    gates: list[Gate] = [*args.fail_under, *args.fail_over]
    try:
        target = await open_target(args.url, args.api_key)
    except httpx.HTTPError as exc:
        return fail(f"cannot reach the service at {args.url}: {exc}")
    except Exception as exc:  # settings, store or embedder: one line, like `python -m app`
        return fail(f"{type(exc).__name__}: {exc}")
    try:
        backends = args.backends or ["extractive"]
        missing = [b for b in backends if b not in target.backends]
        if missing:
            return fail(
                f"backend {missing[0]!r} is not available; available: "
                f"{', '.join(target.backends)} (the openai backend needs RAG_LLM_BASE_URL)"
            )
        try:
            check_known(gates, metric_names(target.modes, backends, {i.type for i in items}))
        except ValueError as exc:
            return fail(str(exc))
        started = datetime.now().isoformat(timespec="seconds")
        results = await run_eval(target, items, backends, progress=not args.no_progress)
    finally:
        await target.aclose()
    results["meta"].update(
        started=started,
        command=shlex.join(["python", "-m", "eval", *args.argv]),
        load_average_at_end=[round(x, 2) for x in os.getloadavg()],
    )
    flat = flatten(results)
    results["metrics"] = flat
    baseline = comparable(_baseline(args.baseline), len(items))
    changes = deltas({m: v for m, v in flat.items() if "." in m}, baseline)
    problems = failures(gates, flat)
    results["gates"] = {"checked": [g.describe() for g in gates], "failures": problems}
    folder = new_report_dir(root=args.reports)
    chart_names = [] if args.no_charts else _chart_files(folder, results)
    headline = [d for d in changes if is_headline(d.metric)]
    write_report(folder, results, render_markdown(results, headline, problems, chart_names))
    print("\n" + summary(results))
    if headline:
        moved = [d for d in headline if d.changed]
        table = "\n" + delta_table(moved) if moved else ""
        print(
            f"\nCompared with {args.baseline}: {len(headline) - len(moved)} headline figures "
            f"unchanged, {len(moved)} changed{table}"
        )
    elif not baseline:
        print(f"\nnot compared with {args.baseline}: missing or taken on another question set")
    if args.write_baseline:
        payload = baseline_payload(flat, len(items))
        args.baseline.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"\nbaseline written to {args.baseline}")
    print(f"\nreport: {folder / 'report.md'}")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        items = stratified(load_questions(args.questions), args.limit)
    except (ValueError, OSError) as exc:
        return fail(f"cannot load questions: {exc}")
    return asyncio.run(evaluate(args, items))
