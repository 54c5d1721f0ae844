"""`python -m localdb start | stop | url`: a local PostgreSQL with pgvector for
`RAG_STORE=postgres make run` (data in data/postgres, port 55432 unless told otherwise)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from localdb.server import LocalDatabaseError, LocalPostgres


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localdb", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "url"])
    parser.add_argument("--data", type=Path, default=Path("data/postgres"))
    parser.add_argument("--port", type=int, default=55432)
    args = parser.parse_args(argv)
    server = LocalPostgres(args.data.absolute(), args.port)
    try:
        if args.command == "start":
            server.start()
            print(f"PostgreSQL ready: {server.url('rag')}", file=sys.stderr)
        elif args.command == "stop":
            server.stop()
        print(server.url("rag"))
    except LocalDatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
