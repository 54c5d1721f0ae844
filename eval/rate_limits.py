"""`python -m eval rate-limits`: what the rate limit costs one well-behaved client. Starts
the service with the given limit, asks every question of eval/questions.jsonl one after the
other over HTTP (waiting out each 429 as its Retry-After says) and prints how many 429s it
got, how long it waited and how long the whole set took."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from eval.arguments import at_least_one, positive

QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(per_minute: float, burst: int) -> str:
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RAG_RATE_LIMIT_PER_MINUTE", "RAG_RATE_LIMIT_BURST")
    }
    env |= {"RAG_RATE_LIMIT_PER_MINUTE": f"{per_minute:g}", "RAG_RATE_LIMIT_BURST": str(burst)}
    env |= {"RAG_LOG_LEVEL": "ERROR"}
    service = subprocess.Popen(
        [sys.executable, "-m", "app", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if service.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    "error: the service did not start (is the store built? `make index`)"
                )
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        questions = [json.loads(line)["question"] for line in QUESTIONS.open(encoding="utf-8")]
        limited, waited = 0, 0.0
        started = time.monotonic()
        with httpx.Client(base_url=base, timeout=60) as client:
            for question in questions:
                while (
                    response := client.post("/ask", json={"question": question})
                ).status_code == 429:
                    limited += 1
                    wait = float(response.headers.get("retry-after", "1"))
                    waited += wait
                    time.sleep(wait)
                response.raise_for_status()
        took = time.monotonic() - started
    finally:
        service.terminate()
        service.wait(timeout=30)
    return (
        f"rate {per_minute:g}/min, burst {burst}: {len(questions)} questions, {limited} × 429, "
        f"waited {waited:.0f} s, took {took:.1f} s ({len(questions) / took:.1f} a second)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval rate-limits", description=__doc__)
    add = parser.add_argument
    add("--rate", type=positive(float, zero=True), default=1200, help="requests a minute (0: off)")
    add("--burst", type=at_least_one, default=300, help="bucket size")
    args = parser.parse_args(argv)
    print(run(args.rate, args.burst))
    return 0
