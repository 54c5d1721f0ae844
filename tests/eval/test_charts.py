"""The report charts are written for real (matplotlib, Agg) from what the runs produce."""

from __future__ import annotations

from pathlib import Path

from eval import charts
from eval.load import level_summary


def test_throughput_chart_draws_a_level_whose_every_request_failed(tmp_path: Path) -> None:
    rows = [
        level_summary("/search", 1, [20.0, 22.0, 25.0], {}, 0.1),
        level_summary("/search", 8, [], {"429": 80}, 0.5),  # a rate-limited service
    ]
    name = charts.throughput_chart(tmp_path, rows)
    assert name == "throughput.png"
    assert (tmp_path / name).stat().st_size > 1000
