"""POST /ask: the answer as JSON or as server-sent events, within the bounds of
app.api.bounds (a generation slot for a model's answer, the request deadline)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request

from app.api.bounds import Question, answer_streamed, answer_whole, record_answer
from app.api.deps import QA, AskLimits, Limits, require_json
from app.api.errors import GUARDED, error_docs
from app.api.openapi import SSE_EVENT_SCHEMA
from app.api.routes import check_backend
from app.api.streaming import DeadlineEvent, event_stream
from app.domain import Turn
from app.results import AskEvent, AskResult
from app.schemas import AskRequest, AskResponse, Citation

logger = logging.getLogger("app.api.ask")

router = APIRouter()


def wants_stream(body: AskRequest, request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return body.stream or "text/event-stream" in accept.lower()


def observed(limits: AskLimits, result: AskResult) -> dict[str, Any]:
    """Records an answer, plain or streamed alike, and returns it as the response body."""
    record_answer(limits, result)
    return AskResponse.from_result(result).model_dump()


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
    question = Question(body.question, body.k, history, body.backend)
    if wants_stream(body, request):

        def render(events: AsyncIterator[AskEvent | DeadlineEvent]) -> AsyncIterator[str]:
            return event_stream(
                events, Citation.from_passage, lambda result: observed(limits, result)
            )

        return await answer_streamed(qa, limits, question, render)
    return observed(limits, await answer_whole(qa, limits, question))
