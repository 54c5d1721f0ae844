"""PNG charts for the report (matplotlib, Agg backend; optional `eval` extra)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def recall_curves(folder: Path, curves: Mapping[str, Sequence[float]]) -> str | None:
    """Recall@k for k = 1..10, one line per retrieval configuration."""
    plt = _pyplot()
    if plt is None or not curves:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    for mode, curve in curves.items():
        ax.plot(range(1, len(curve) + 1), curve, marker="o", label=mode)
    ax.set_xlabel("k")
    ax.set_ylabel("recall@k (gold evidence)")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(range(1, 11))
    ax.grid(alpha=0.3)
    ax.legend()
    name = "recall_at_k.png"
    fig.tight_layout()
    fig.savefig(folder / name, dpi=100)
    plt.close(fig)
    return name


def latency_histograms(
    folder: Path, series: Mapping[str, Sequence[float]], name: str = "latency.png"
) -> str | None:
    """One histogram per latency series (milliseconds), side by side."""
    plt = _pyplot()
    series = {label: values for label, values in series.items() if values}
    if plt is None or not series:
        return None
    fig, axes = plt.subplots(1, len(series), figsize=(4 * len(series), 3.5), squeeze=False)
    for ax, (label, values) in zip(axes[0], series.items(), strict=True):
        ax.hist(values, bins=30, color="#4477aa")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("ms")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("requests")
    fig.tight_layout()
    fig.savefig(folder / name, dpi=100)
    plt.close(fig)
    return name


def throughput_chart(folder: Path, rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Benchmark: requests/s and p95 per endpoint and concurrency."""
    plt = _pyplot()
    if plt is None or not rows:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    for endpoint in dict.fromkeys(r["endpoint"] for r in rows):
        mine = [r for r in rows if r["endpoint"] == endpoint]
        levels = [r["concurrency"] for r in mine]
        left.plot(levels, [r["throughput_rps"] for r in mine], marker="o", label=endpoint)
        # A level whose every request failed has no latency: a gap, not a crash.
        p95 = [r["latency_ms"].get("p95", float("nan")) for r in mine]
        right.plot(levels, p95, marker="o", label=endpoint)
    left.set_title("throughput (req/s)")
    right.set_title("p95 latency (ms)")
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("concurrency")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    name = "throughput.png"
    fig.savefig(folder / name, dpi=100)
    plt.close(fig)
    return name
