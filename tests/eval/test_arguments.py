"""The evaluation commands' numeric options: what each refuses, and the one line it says."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pytest

from eval.arguments import at_least_one, positive
from eval.bench import main as bench_main
from eval.rate_limits import main as rate_limits_main
from eval.scale import main as scale_main


@pytest.mark.parametrize(
    ("parse", "raw", "value"),
    [
        (at_least_one, "3", 3),
        (positive(float), "0.5", 0.5),
        (positive(float, zero=True), "0", 0.0),
        (positive(int, zero=True), "0", 0),
    ],
)
def test_a_value_in_range_is_parsed_as_its_kind(
    parse: Callable[[str], float], raw: str, value: float
) -> None:
    parsed = parse(raw)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("parse", "raw", "message"),
    [
        (at_least_one, "0", "must be at least 1, got 0"),
        (at_least_one, "-2", "must be at least 1, got -2"),
        (at_least_one, "1.5", "'1.5' is not a whole number"),
        (at_least_one, "", "'' is not a whole number"),
        (positive(float), "0", "must be above zero, got 0"),
        (positive(float), "abc", "'abc' is not a number"),
        (positive(float), "nan", "must be above zero, got nan"),
        (positive(float, zero=True), "inf", "must be zero or more, got inf"),
        (positive(float, zero=True), "-0.1", "must be zero or more, got -0.1"),
    ],
)
def test_a_value_out_of_range_says_what_was_wrong(
    parse: Callable[[str], float], raw: str, message: str
) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=f"^{message}$"):
        parse(raw)


@pytest.mark.parametrize(
    ("main", "argv", "expected"),
    [
        (bench_main, ["--requests", "0"], "argument --requests: must be at least 1, got 0"),
        (bench_main, ["--seconds", "nan"], "argument --seconds: must be above zero, got nan"),
        (rate_limits_main, ["--rate", "x"], "argument --rate: 'x' is not a number"),
        (rate_limits_main, ["--burst", "0"], "argument --burst: must be at least 1, got 0"),
        (
            bench_main,
            ["--floor-samples", "-3"],
            "argument --floor-samples: must be zero or more, got -3",
        ),
        (bench_main, ["--soak", "nan"], "argument --soak: must be zero or more, got nan"),
        (scale_main, ["--queries", "0"], "argument --queries: must be at least 1, got 0"),
        (scale_main, ["--seed", "-4"], "argument --seed: must be zero or more, got -4"),
        (bench_main, ["--pid", "0"], "argument --pid: must be at least 1, got 0"),
    ],
)
def test_the_commands_refuse_a_bad_value_with_exit_2(
    main: object, argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)  # type: ignore[operator]
    assert exit_info.value.code == 2
    assert expected in capsys.readouterr().err


def test_bench_refuses_the_pid_of_no_running_process(capsys: pytest.CaptureFixture[str]) -> None:
    # pid_max is one above the largest process id the kernel hands out.
    unused = Path("/proc/sys/kernel/pid_max").read_text(encoding="ascii").strip()
    assert bench_main(["--url", "http://127.0.0.1:9", "--pid", unused]) == 2
    assert f"--pid {unused}: no process with that id runs here" in capsys.readouterr().err
