"""`python -m eval`: retrieval, refusal and latency figures on eval/questions.jsonl (in-process).

A first, honest slice of the evaluation: Recall@1/5/10 and MRR@10 per retrieval mode and
question type, refusal accuracy and false-refusal rate of the extractive backend, and
p50/p95 latency of search and ask. Follow-up items are asked without their history.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from app.components import build_question_answering
from app.settings import SettingsError, load_settings
from eval.checker import QuestionItem, load_questions
from indexer.embedders import EmbedderError
from indexer.models import Chunk
from indexer.store import StoreError

QUESTIONS = Path(__file__).with_name("questions.jsonl")
MODES = ("bm25", "dense", "hybrid")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def is_gold(item: QuestionItem, chunk: Chunk) -> bool:
    text = _norm(chunk.text)
    return any(ev.doc_id == chunk.doc_id and _norm(ev.quote) in text for ev in item.evidence)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    args = parser.parse_args(argv)
    try:
        qa = build_question_answering(load_settings())
        items = load_questions(args.questions)
    except (SettingsError, StoreError, EmbedderError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    answerable = [i for i in items if i.type != "unanswerable"]
    print(f"{len(items)} questions ({len(answerable)} answerable)\n")
    print(f"{'mode':8} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7}   R@5 per type")
    search_ms: list[float] = []
    for mode in MODES:
        ranks: list[int | None] = []
        per_type: dict[str, list[bool]] = defaultdict(list)
        for item in answerable:
            started = time.perf_counter()
            passages = qa.search(item.question, 10, mode)  # type: ignore[arg-type]
            if mode == "hybrid":
                search_ms.append((time.perf_counter() - started) * 1000)
            rank = next((r for r, p in enumerate(passages, 1) if is_gold(item, p.chunk)), None)
            ranks.append(rank)
            per_type[item.type].append(rank is not None and rank <= 5)

        def recall(k: int, ranks: list[int | None] = ranks) -> float:
            return sum(r is not None and r <= k for r in ranks) / len(ranks)

        mrr = sum(1 / r for r in ranks if r is not None) / len(ranks)
        types = " ".join(f"{t}={sum(v) / len(v):.2f}" for t, v in sorted(per_type.items()))
        print(f"{mode:8} {recall(1):6.3f} {recall(5):6.3f} {recall(10):6.3f} {mrr:7.3f}   {types}")
    ask_ms: list[float] = []
    refused_unanswerable = refused_answerable = 0
    for item in items:
        started = time.perf_counter()
        result = qa.ask(item.question, 5)
        ask_ms.append((time.perf_counter() - started) * 1000)
        if item.type == "unanswerable":
            refused_unanswerable += result.generation.refused
        else:
            refused_answerable += result.generation.refused
    unanswerable = len(items) - len(answerable)
    print(f"\nrefusal accuracy (unanswerable refused): {refused_unanswerable / unanswerable:.3f}")
    print(f"false refusals (answerable refused):     {refused_answerable / len(answerable):.3f}")
    print(
        f"latency in-process, ms: search p50 {statistics.median(search_ms):.1f} "
        f"p95 {_percentile(search_ms, 0.95):.1f}; ask p50 {statistics.median(ask_ms):.1f} "
        f"p95 {_percentile(ask_ms, 0.95):.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
