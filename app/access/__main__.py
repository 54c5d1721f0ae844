"""`python -m app.access new NAME`: prints a new random API key and the line to store for it
(`NAME:sha256hex`, for RAG_API_KEYS_FILE or RAG_API_KEYS). Only the digest is ever stored."""

from __future__ import annotations

import argparse
import sys

from app.access.keys import KeyFormatError, key_line, new_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.access", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="create a key for a client")
    new.add_argument("name", help="the client's name, e.g. 'intranet' (A–Z a–z 0–9 _ . -)")
    args = parser.parse_args(argv)
    key = new_key()
    try:
        line = key_line(args.name, key)
    except KeyFormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"key:  {key}")
    print(f"line: {line}")
    print(
        "Give the key to the client (it is shown only now); append the line to "
        "RAG_API_KEYS_FILE (or add it to RAG_API_KEYS) and restart the service.",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
