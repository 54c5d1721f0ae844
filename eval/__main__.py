"""`python -m eval` (quality, see eval.cli), `python -m eval bench` (speed, see eval.bench),
`python -m eval scale` (the stores at 10k–1M synthetic chunks, see eval.scale),
`python -m eval answers` (answer quality per part, see eval.answer_cli) and
`python -m eval rate-limits` (what the rate limit costs one client, see eval.rate_limits)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from eval.bench import main as bench

        return bench(argv[1:])
    if argv[:1] == ["scale"]:
        from eval.scale import main as scale

        return scale(argv[1:])
    if argv[:1] == ["rate-limits"]:
        from eval.rate_limits import main as rate_limits

        return rate_limits(argv[1:])
    if argv[:1] == ["answers"]:
        from eval.answer_cli import main as answers

        return answers(argv[1:])
    from eval.cli import main as evaluate

    return evaluate(argv)


if __name__ == "__main__":
    sys.exit(main())
