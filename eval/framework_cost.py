"""`python -m eval.framework_cost [ROUNDS]`: what FastAPI and the middleware add to a request.

In-process (httpx's ASGI transport: no socket, no HTTP parser), with the query-vector cache
filled first so that the embedding drops out: the p50 of `GET /health`, of `POST /search`
and `POST /ask` (extractive), and of `QuestionAnswering.ask` called directly for the same
questions. `/ask` minus the direct call is the framework's cost on the answer path.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable
from pathlib import Path

import httpx

from eval.arguments import at_least_one
from eval.bench import floor_questions
from eval.cli import QUESTIONS, OneLineParser

STORE = Path("store")


async def measure(rounds: int) -> dict[str, float]:
    from app.main import create_app
    from app.settings import Settings
    from app.wiring import build_question_answering

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        store_dir=STORE,
        corpus_dir=Path("corpus"),
        query_cache_size=1024,
        rate_limit_per_minute=0,
    )
    qa = build_question_answering(settings)
    app = create_app(settings, qa=qa)
    questions = floor_questions(QUESTIONS)[:40]
    times: dict[str, list[float]] = {"/health": [], "/search": [], "/ask": [], "direct ask": []}

    async def timed(name: str, call: Awaitable[object]) -> None:
        started = time.perf_counter()
        await call
        times[name].append((time.perf_counter() - started) * 1000)

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            for question in questions:
                await client.post("/search", json={"query": question})
                await client.post("/ask", json={"question": question})
            for _ in range(rounds):
                for question in questions:
                    await timed("/health", client.get("/health"))
                    await timed("/search", client.post("/search", json={"query": question}))
                    await timed("/ask", client.post("/ask", json={"question": question}))
                    await timed("direct ask", qa.ask(question, 5))
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="python -m eval.framework_cost", description=__doc__)
    parser.add_argument("rounds", nargs="?", type=at_least_one, default=3, metavar="ROUNDS")
    rounds = parser.parse_args(argv).rounds
    if not (STORE / "manifest.json").exists():
        print("error: no store in ./store; run `python -m indexer build` first", file=sys.stderr)
        return 2
    p50 = asyncio.run(measure(rounds))
    for name, ms in p50.items():
        print(f"{name:11s} p50 {ms:.2f} ms")
    print(f"framework on /ask: {p50['/ask'] - p50['direct ask']:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
