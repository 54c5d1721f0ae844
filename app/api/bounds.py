"""The bounds of one answer, whichever route asks for it (POST /ask, POST /v1/chat/completions):
a language model's answer takes a slot among RAG_MAX_CONCURRENT_GENERATIONS (a short queue,
then 503); every answer has a total deadline (RAG_REQUEST_DEADLINE_S), streamed answers
included. What happens when the deadline nears (the fallback answer) is the service's policy;
the routes only say when the deadline is."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import anyio

from app.api.deps import AskLimits
from app.api.errors import ApiError
from app.api.streaming import DeadlineEvent, EventStreamResponse, until_deadline
from app.domain import Turn
from app.limits.gate import GateFull, GenerationGate
from app.results import AskEvent, AskResult
from app.service import QuestionAnswering

logger = logging.getLogger("app.api.bounds")

BUSY_RETRY_AFTER_S = 5

# Turns the service's events (and a DeadlineEvent) into the lines a route streams.
Render = Callable[[AsyncIterator[AskEvent | DeadlineEvent]], AsyncIterator[str]]


async def enter(gate: GenerationGate, deadline: float, deadline_s: float) -> None:
    """Takes a generation slot, waiting in the short queue at most until the deadline."""
    try:
        with anyio.fail_after(max(0.0, deadline - anyio.current_time())):
            await gate.acquire()
    except GateFull as exc:
        logger.warning("generation refused: %s", exc)
        raise ApiError(
            503,
            "busy",
            "The service is answering as many questions as it can; ask again shortly.",
            headers={"Retry-After": str(BUSY_RETRY_AFTER_S)},
        ) from exc
    except TimeoutError as exc:
        logger.warning("no generation slot before the request deadline")
        raise deadline_error(deadline_s) from exc


def deadline_error(deadline_s: float) -> ApiError:
    return ApiError(
        504,
        "deadline_exceeded",
        f"No answer within {deadline_s:g} s; ask again later.",
        headers={"Retry-After": str(BUSY_RETRY_AFTER_S)},
    )


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class Question:
    text: str
    k: int
    history: Sequence[Turn]
    backend: str | None


async def answer_whole(qa: QuestionAnswering, limits: AskLimits, question: Question) -> AskResult:
    """The plain answer, within the request's bounds (a 503 or 504 when they do not allow one)."""
    deadline = anyio.current_time() + limits.deadline_s
    release = await _slot(qa, limits, question, deadline)
    try:
        result = None
        # The service answers with its fallback before the deadline; this bound only holds
        # when even that cannot be had in time.
        with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
            result = await qa.ask(
                question.text, question.k, question.history, question.backend, deadline
            )
    finally:
        release()
    if result is None:
        logger.warning("request deadline reached before any answer")
        raise deadline_error(limits.deadline_s)
    return result


async def answer_streamed(
    qa: QuestionAnswering, limits: AskLimits, question: Question, render: Render
) -> EventStreamResponse:
    """The streamed answer: `render` formats the events; the slot is held until it ends."""
    deadline = anyio.current_time() + limits.deadline_s
    release = await _slot(qa, limits, question, deadline)
    try:
        events = qa.answer_events(
            question.text, question.k, question.history, question.backend, deadline
        )
        started = await _started(events, deadline, limits.deadline_s)
        return EventStreamResponse(render(until_deadline(started, deadline)), on_close=release)
    except BaseException:
        release()
        raise


async def _started(
    events: AsyncIterator[AskEvent], deadline: float, deadline_s: float
) -> AsyncIterator[AskEvent]:
    """The stream with its first event (the retrieved passages) already taken, so that a
    store that cannot be reached is a 503 before any header is sent, not an event."""
    first: list[AskEvent] = []
    with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
        first.append(await anext(events))
    if not first:
        await events.aclose()  # type: ignore[attr-defined]
        raise deadline_error(deadline_s)

    async def chained() -> AsyncIterator[AskEvent]:
        try:
            yield first[0]
            async for event in events:
                yield event
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    return chained()


async def _slot(
    qa: QuestionAnswering, limits: AskLimits, question: Question, deadline: float
) -> Callable[[], None]:
    # Only a language model's answer is a "generation" worth queueing: an extractive answer
    # is a few milliseconds of CPU, bounded by the rate limit like /search.
    if not qa.generates(question.backend):
        return _nothing
    await enter(limits.gate, deadline, limits.deadline_s)
    return limits.gate.release


def record_answer(limits: AskLimits, result: AskResult) -> None:
    """The metrics and the log line of an answer, whichever route gave it."""
    limits.metrics.observe_answer(result)
    logger.info(
        "answered",
        extra={
            "backend": result.backend,
            "refused": result.generation.refused,
            "degraded": result.generation.degraded,
            "total_ms": result.timings.total_ms,
        },
    )
