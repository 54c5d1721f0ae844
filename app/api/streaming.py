"""Server-sent events for `/ask`: citations first, then deltas, then the whole answer."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.api.errors import error_body
from app.domain import Passage
from app.limits.deadline import DeadlinePassed, until
from app.results import AskEvent, AskResult, CitationsEvent, DeltaEvent, DoneEvent
from app.retrieval.store import StoreUnavailable

logger = logging.getLogger("app.api.streaming")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


DEADLINE_MESSAGE = "The answer took longer than the service allows; ask again later."
STREAM_FAILED_MESSAGE = "The answer could not be completed; ask again."


def sse(event: str, data: Any) -> str:
    """One event; JSON never contains a raw newline, so one data line is always enough."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class EventStreamResponse(StreamingResponse):
    """Closes its event source however the response ends, so a client that goes away
    also stops the upstream LLM stream (its HTTP connection is closed at once)."""

    body_iterator: AsyncIterator[str]

    def __init__(
        self, events: AsyncIterator[str], on_close: Callable[[], None] | None = None
    ) -> None:
        super().__init__(events, media_type="text/event-stream", headers=SSE_HEADERS)
        self.on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            try:
                await self.body_iterator.aclose()  # type: ignore[attr-defined]
            finally:
                if self.on_close is not None:
                    self.on_close()


@dataclass(frozen=True)
class DeadlineEvent:
    """The request's deadline passed before the answer was complete."""

    at: float  # anyio.current_time() of the deadline


STORE_LOST_MESSAGE = "The passage store became unreachable during the answer; ask again shortly."


async def until_deadline(
    events: AsyncIterator[AskEvent], deadline: float
) -> AsyncIterator[AskEvent | DeadlineEvent]:
    """Passes events on until `deadline` (anyio.current_time()); then one DeadlineEvent."""
    try:
        async for event in until(events, deadline):
            yield event
    except DeadlinePassed:
        yield DeadlineEvent(deadline)


async def event_stream(
    events: AsyncIterator[AskEvent | DeadlineEvent],
    citation: Callable[[Passage], BaseModel],
    response: Callable[[AskResult], dict[str, Any]],
) -> AsyncIterator[str]:
    """Formats service events; `citation` and `response` turn them into JSON."""
    try:
        async for event in events:
            if isinstance(event, CitationsEvent):
                yield sse(
                    "citations",
                    {
                        "citations": [citation(p).model_dump() for p in event.passages],
                        "search_query": event.search_query,
                        "backend": event.backend,
                    },
                )
            elif isinstance(event, DeltaEvent):
                yield sse("delta", {"text": event.text})
            elif isinstance(event, DoneEvent):
                yield sse("done", response(event.result))
            elif isinstance(event, DeadlineEvent):
                logger.warning("the request deadline passed during the answer stream")
                yield sse("error", error_body(504, "deadline_exceeded", DEADLINE_MESSAGE))
    except StoreUnavailable as exc:
        logger.warning("the store became unreachable during the answer stream: %s", exc)
        yield sse("error", error_body(503, "store_unavailable", STORE_LOST_MESSAGE))
    except Exception:  # headers are sent: the error can only travel as an event
        logger.exception("the answer stream failed")
        yield sse("error", error_body(500, "stream_failed", STREAM_FAILED_MESSAGE))
    finally:
        await events.aclose()  # type: ignore[attr-defined]
