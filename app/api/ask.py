"""POST /ask, bounded: a language model's answer takes a slot among
RAG_MAX_CONCURRENT_GENERATIONS (a short queue, then 503); every answer has a total deadline
(RAG_REQUEST_DEADLINE_S), streamed answers included. What happens when the deadline nears
(the fallback answer) is the service's policy; this route only says when the deadline is."""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import APIRouter, Depends, Request

from app.api.deps import QA, AskLimits, Limits, require_json
from app.api.errors import GUARDED, ApiError, error_docs
from app.api.openapi import SSE_EVENT_SCHEMA
from app.api.routes import check_backend
from app.api.streaming import EventStreamResponse, event_stream, until_deadline
from app.domain import Turn
from app.limits.gate import GateFull, GenerationGate
from app.results import AskResult
from app.schemas import AskRequest, AskResponse, Citation

logger = logging.getLogger("app.api.ask")

BUSY_RETRY_AFTER_S = 5

router = APIRouter()


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
        raise deadline_error(deadline_s) from exc


def deadline_error(deadline_s: float) -> ApiError:
    return ApiError(
        504,
        "deadline_exceeded",
        f"No answer within {deadline_s:g} s; ask again later.",
        headers={"Retry-After": str(BUSY_RETRY_AFTER_S)},
    )


def nothing() -> None:
    pass


def observed(limits: AskLimits, result: AskResult) -> dict[str, Any]:
    """Records an answer, plain or streamed alike, and returns it as the response body."""
    record_answer(limits, result)
    return AskResponse.from_result(result).model_dump()


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
    check_backend(qa, body.backend)  # a 422 before any stream starts
    logger.debug("question", extra={"question": body.question, "history_turns": len(history)})
    deadline = anyio.current_time() + limits.deadline_s
    # Only a language model's answer is a "generation" worth queueing: an extractive answer
    # is a few milliseconds of CPU, bounded by the rate limit like /search.
    generates = qa.generates(body.backend)
    release = limits.gate.release if generates else nothing
    if generates:
        await enter(limits.gate, deadline, limits.deadline_s)
    if wants_stream(body, request):
        try:
            events = qa.answer_events(body.question, body.k, history, body.backend, deadline)
            return EventStreamResponse(
                event_stream(
                    until_deadline(events, deadline),
                    Citation.from_passage,
                    lambda result: observed(limits, result),
                ),
                on_close=release,
            )
        except BaseException:
            release()
            raise
    try:
        result = None
        # The service answers with its fallback before the deadline; this bound only holds
        # when even that cannot be had in time.
        with anyio.move_on_after(max(0.0, deadline - anyio.current_time())):
            result = await qa.ask(body.question, body.k, history, body.backend, deadline)
    finally:
        release()
    if result is None:
        logger.warning("request deadline reached before any answer")
        raise deadline_error(limits.deadline_s)
    return observed(limits, result)
