"""POST /ask, bounded: a language model's answer takes a slot among
RAG_MAX_CONCURRENT_GENERATIONS (a short queue, then 503); every answer has a total deadline
(RAG_REQUEST_DEADLINE_S), streamed answers included."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Request

from app.api.errors import GUARDED, ApiError, error_docs
from app.api.routes import QA, passage_out, require_json
from app.api.streaming import (
    SSE_EVENT_SCHEMA,
    EventStreamResponse,
    event_stream,
    until_deadline,
)
from app.backends.base import UnknownBackendError
from app.limits.gate import GateFull, GenerationGate
from app.metrics import Metrics
from app.models import Passage, Turn
from app.schemas import AskRequest, AskResponse, Citation, TimingsOut
from app.service import AskResult, QuestionAnswering

logger = logging.getLogger("app.api.ask")

BUSY_RETRY_AFTER_S = 5
# Of the deadline, this much (at most) is kept back to compose the extractive answer when
# the chosen backend runs out of time.
FALLBACK_RESERVE_S = 5.0

router = APIRouter()


@dataclass(frozen=True)
class AskLimits:
    gate: GenerationGate
    deadline_s: float
    metrics: Metrics

    @property
    def reserve_s(self) -> float:
        return min(FALLBACK_RESERVE_S, self.deadline_s * 0.1)


def get_limits(request: Request) -> AskLimits:
    limits: AskLimits = request.app.state.ask_limits
    return limits


Limits = Annotated[AskLimits, Depends(get_limits)]


def citation_out(passage: Passage) -> dict[str, object]:
    return {**passage_out(passage), "ref": passage.ref}


def ask_response(result: AskResult) -> dict[str, object]:
    generation = result.generation
    timings = result.timings
    return AskResponse(
        answer=generation.text,
        citations=[Citation(**citation_out(p)) for p in result.passages],  # type: ignore[arg-type]
        refused=generation.refused,
        backend=result.backend,
        degraded=generation.degraded,
        timings_ms=TimingsOut(
            rewrite=timings.rewrite_ms,
            retrieval=timings.retrieval_ms,
            generation=timings.generation_ms,
            total=timings.total_ms,
            first_token=timings.first_token_ms,
        ),
        search_query=result.search_query,
        unsupported_sentences=list(generation.unsupported_sentences),
    ).model_dump()


def wants_stream(body: AskRequest, request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return body.stream or "text/event-stream" in accept.lower()


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
        raise _deadline_error(deadline_s) from exc


def _deadline_error(deadline_s: float) -> ApiError:
    return ApiError(
        504,
        "deadline_exceeded",
        f"No answer within {deadline_s:g} s; ask again later.",
        headers={"Retry-After": str(BUSY_RETRY_AFTER_S)},
    )


async def answer_after_deadline(
    qa: QuestionAnswering, body: AskRequest, history: list[Turn], limits: AskLimits
) -> AskResult:
    """The chosen backend ran out of time: the extractive answer, marked degraded, or a 504."""
    logger.warning("request deadline reached; answering extractively")
    result = None
    if qa.backends.get(body.backend) is not qa.fallback:
        with anyio.move_on_after(limits.reserve_s):
            result = await qa.ask(body.question, body.k, history, qa.fallback.name)
    if result is None:
        raise _deadline_error(limits.deadline_s)
    return replace(result, generation=replace(result.generation, degraded=True))


def _nothing() -> None:
    pass


def _observed(limits: AskLimits, result: AskResult) -> dict[str, object]:
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
    return ask_response(result)


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={
        **error_docs(400, 413, 415, 422, 503, 504, *GUARDED),
        200: {
            "description": "Svaret som JSON, eller som server-sent events när `stream` är sant "
            "eller Accept är text/event-stream: `citations`, `delta`…, `done` (hela svaret), "
            "eller `error` om svaret inte kunde slutföras.",
            "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
        },
    },
    dependencies=[Depends(require_json)],
    summary="Ställ en fråga",
)
async def ask(body: AskRequest, request: Request, qa: QA, limits: Limits) -> Any:
    """Answers in the question's language; every claim cites its passage as [n]."""
    history = [Turn(turn.role, turn.content) for turn in body.history]
    if body.backend is not None and body.backend not in qa.backends.names:
        # a 422 before any stream starts (also for "", which the registry reads as the default)
        raise UnknownBackendError(body.backend, qa.backends.names)
    logger.debug("question", extra={"question": body.question, "history_turns": len(history)})
    deadline = anyio.current_time() + limits.deadline_s
    # Only a language model's answer is a "generation" worth queueing: an extractive answer
    # is a few milliseconds of CPU, bounded by the rate limit like /search.
    generates = qa.backends.get(body.backend) is not qa.fallback
    release = limits.gate.release if generates else _nothing
    if generates:
        await enter(limits.gate, deadline, limits.deadline_s)
    if wants_stream(body, request):
        try:
            events = qa.ask_events(body.question, body.k, history, body.backend)
            return EventStreamResponse(
                event_stream(
                    until_deadline(events, deadline),
                    citation_out,
                    lambda result: _observed(limits, result),
                ),
                on_close=release,
            )
        except BaseException:
            release()
            raise
    try:
        result = None
        with anyio.move_on_after(max(0.0, deadline - limits.reserve_s - anyio.current_time())):
            result = await qa.ask(body.question, body.k, history, body.backend)
        if result is None:
            result = await answer_after_deadline(qa, body, history, limits)
    finally:
        release()
    return _observed(limits, result)
