"""`python -m eval.checkset_llm --url URL`: the check set (tests/app/checkset.jsonl) against a
running service's openai backend: how many answers carry only valid, verified citations.

    make run-llm &   # then, in another shell:
    .venv/bin/python -m eval.checkset_llm --url http://127.0.0.1:8000
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

import httpx

CHECKSET = Path(__file__).resolve().parents[1] / "tests" / "app" / "checkset.jsonl"


def all_citations_valid(body: dict) -> bool:
    refs = {c["ref"] for c in body["citations"]}
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])}
    return bool(cited) and cited <= refs and not body["unsupported_sentences"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.checkset_llm", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--backend", default="openai")
    parser.add_argument("--api-key")
    args = parser.parse_args(argv)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    items = [json.loads(line) for line in CHECKSET.read_text(encoding="utf-8").splitlines()]
    answerable = valid = flagged = degraded = refused_unanswerable = 0
    seconds: list[float] = []
    with httpx.Client(base_url=args.url, timeout=600, headers=headers) as client:
        for item in items:
            response = client.post(
                "/ask", json={"question": item["question"], "backend": args.backend}
            )
            if response.status_code != 200:
                print(f"error: {response.status_code} {response.text[:200]}", file=sys.stderr)
                return 1
            body = response.json()
            seconds.append(body["timings_ms"]["total"] / 1000)
            degraded += body["degraded"]
            if "evidence" in item:
                answerable += 1
                valid += not body["refused"] and all_citations_valid(body)
                flagged += bool(body["unsupported_sentences"])
            else:
                refused_unanswerable += body["refused"]
            print(f"{seconds[-1]:6.1f} s  {item['question'][:60]:60}  {body['answer'][:70]!r}")
    print(
        f"\nanswerable: {valid} of {answerable} with every citation valid and verified, "
        f"{flagged} with sentences in unsupported_sentences; degraded: {degraded}; "
        f"unanswerable refused: {refused_unanswerable} of {len(items) - answerable}; "
        f"median {statistics.median(seconds):.1f} s per answer"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
