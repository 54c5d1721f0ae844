"""Parsers for the evaluation commands' numeric options (pure): each names what was wrong
with the value it was given, for argparse to print as one line."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def positive(kind: type[int] | type[float], zero: bool = False) -> Callable[[str], float]:
    """A parser of a `kind` above zero (or, with `zero`, at least zero); NaN and infinity
    are refused, as no option here means them."""
    name = "a whole number" if kind is int else "a number"
    bound = "zero or more" if zero else ("at least 1" if kind is int else "above zero")

    def parse(raw: str) -> float:
        try:
            value = kind(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{raw!r} is not {name}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"must be {bound}, got {raw}")
        return value

    return parse


at_least_one = positive(int)
