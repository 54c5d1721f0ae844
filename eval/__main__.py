"""`python -m eval` (quality, see eval.cli) and `python -m eval bench` (speed, see eval.bench)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from eval.bench import main as bench

        return bench(argv[1:])
    from eval.cli import main as evaluate

    return evaluate(argv)


if __name__ == "__main__":
    sys.exit(main())
