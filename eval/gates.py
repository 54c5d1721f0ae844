"""Flat metric names, `--fail-under`/`--fail-over` gates and baseline deltas (pure).

Flat names: `<mode>.<metric>` (`hybrid.recall@5`), `<mode>.<type>.<metric>`
(`hybrid.paraphrase.recall@5`), `<mode>.latency.p50`, `<backend>.<metric>`
(`extractive.refusal_accuracy`), `<backend>.latency.<stage>.p50`, and the first evaluated
backend's answer metrics without a prefix (`refusal_accuracy`).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from eval.scoring import ANSWER_METRICS, RETRIEVAL_METRICS, STAGES

Direction = Literal["under", "over"]
LATENCY_KEYS = ("p50", "p95", "p99")
TOLERANCE = 1e-4


@dataclass(frozen=True)
class Gate:
    metric: str
    value: float
    direction: Direction  # "under": fail when below; "over": fail when above

    def describe(self) -> str:
        flag = "--fail-under" if self.direction == "under" else "--fail-over"
        return f"{flag} {self.metric}={self.value:g}"


def parse_gate(spec: str, direction: Direction = "under") -> Gate:
    """Parses `metric=value`; raises ValueError with a one-line reason."""
    name, sep, raw = spec.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name or not raw:
        raise ValueError(f"expected METRIC=VALUE, got {spec!r}")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{spec!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{spec!r}: the value must be a finite number")
    return Gate(name, value, direction)


def metric_names(modes: Iterable[str], backends: Iterable[str], types: Iterable[str]) -> set[str]:
    """Every name `flatten` can produce for these modes, backends and question types."""
    types = list(types)
    names: set[str] = set()
    for mode in modes:
        names.update(f"{mode}.{m}" for m in RETRIEVAL_METRICS)
        names.update(f"{mode}.{t}.{m}" for t in types for m in RETRIEVAL_METRICS)
        names.update(f"{mode}.latency.{p}" for p in LATENCY_KEYS)
    backends = list(backends)
    for backend in backends:
        names.update(f"{backend}.{m}" for m in ANSWER_METRICS)
        names.update(f"{backend}.latency.{s}.{p}" for s in STAGES for p in LATENCY_KEYS)
    if backends:
        names.update(ANSWER_METRICS)
    return names


def check_known(gates: Iterable[Gate], known: set[str]) -> None:
    """Raises ValueError naming the first unknown metric and the closest known names."""
    for gate in gates:
        if gate.metric not in known:
            close = difflib.get_close_matches(gate.metric, sorted(known), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ValueError(f"unknown metric {gate.metric!r}{hint}")


def flatten(results: Mapping[str, Any]) -> dict[str, float]:
    """Flat name → value for every defined figure of an evaluation's results."""
    flat: dict[str, float] = {}
    for mode, agg in results.get("retrieval", {}).items():
        flat.update({f"{mode}.{m}": v for m, v in agg["all"].items()})
        for qtype, metrics in agg["by_type"].items():
            flat.update({f"{mode}.{qtype}.{m}": v for m, v in metrics.items()})
        flat.update({f"{mode}.latency.{p}": agg["latency_ms"][p] for p in LATENCY_KEYS})
    answers: Mapping[str, Any] = results.get("answers", {})
    for backend, agg in answers.items():
        for name, value in agg["metrics"].items():
            if value is not None:
                flat[f"{backend}.{name}"] = value
        for stage, summary in agg["latency_ms"].items():
            flat.update({f"{backend}.latency.{stage}.{p}": summary[p] for p in LATENCY_KEYS})
    if answers:
        primary = next(iter(answers))
        for name, value in answers[primary]["metrics"].items():
            if value is not None:
                flat[name] = value
    return flat


def failures(gates: Iterable[Gate], flat: Mapping[str, float]) -> list[str]:
    """One message per violated gate (a figure that could not be computed also fails)."""
    problems = []
    for gate in gates:
        value = flat.get(gate.metric)
        if value is None:
            problems.append(f"{gate.metric}: not computed in this run ({gate.describe()})")
        elif gate.direction == "under" and value < gate.value:
            problems.append(f"{gate.metric} = {value:.4f} is below {gate.value:g}")
        elif gate.direction == "over" and value > gate.value:
            problems.append(f"{gate.metric} = {value:.4f} is above {gate.value:g}")
    return problems


def is_headline(metric: str) -> bool:
    """Overall figures (`hybrid.recall@5`, `refusal_accuracy`), not per type or latency."""
    return len(metric.split(".")) <= 2


def lower_is_better(metric: str) -> bool:
    return any(part in metric for part in ("false_refusal", "unsupported", "degraded", "latency"))


@dataclass(frozen=True)
class Delta:
    metric: str
    baseline: float
    current: float

    @property
    def change(self) -> float:
        return self.current - self.baseline

    @property
    def changed(self) -> bool:
        """Beyond the baseline's rounding (4 decimals)."""
        return abs(self.change) >= TOLERANCE

    @property
    def worse(self) -> bool:
        if not self.changed:
            return False
        return self.change > 0 if lower_is_better(self.metric) else self.change < 0


def deltas(current: Mapping[str, float], baseline: Mapping[str, float]) -> list[Delta]:
    """Figures present in both runs, in the current run's order."""
    return [Delta(m, float(baseline[m]), v) for m, v in current.items() if m in baseline]


def baseline_payload(flat: Mapping[str, float], questions: int) -> dict[str, Any]:
    """What eval/baseline.json holds: prefixed figures only (an alias depends on the backend
    evaluated first) and no latency (it depends on the machine)."""
    return {
        "note": "Figures of `python -m eval`; latency is left out (it depends on the machine).",
        "questions": questions,
        "metrics": {m: round(v, 4) for m, v in flat.items() if "." in m and "latency" not in m},
    }


def comparable(baseline: Mapping[str, Any], questions: int) -> dict[str, float]:
    """The baseline's figures when it was taken on as many questions as this run, else {}."""
    if baseline.get("questions") != questions:
        return {}
    metrics: dict[str, float] = dict(baseline.get("metrics", {}))
    return metrics
