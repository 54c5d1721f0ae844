"""Server-sent events for `/ask`: citations first, then deltas, then the whole answer."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.service import AskEvent, CitationsEvent, DeltaEvent, DoneEvent

logger = logging.getLogger("app.api.streaming")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def sse(event: str, data: Any) -> str:
    """One event; JSON never contains a raw newline, so one data line is always enough."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class EventStreamResponse(StreamingResponse):
    """Closes its event source however the response ends, so a client that goes away
    also stops the upstream LLM stream (its HTTP connection is closed at once)."""

    body_iterator: AsyncIterator[str]

    def __init__(self, events: AsyncIterator[str]) -> None:
        super().__init__(events, media_type="text/event-stream", headers=SSE_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()  # type: ignore[attr-defined]


async def event_stream(
    events: AsyncIterator[AskEvent],
    citation: Any,
    response: Any,
) -> AsyncIterator[str]:
    """Formats service events; `citation` and `response` turn them into JSON-able dicts."""
    try:
        async for event in events:
            if isinstance(event, CitationsEvent):
                yield sse(
                    "citations",
                    {
                        "citations": [citation(p) for p in event.passages],
                        "search_query": event.search_query,
                        "backend": event.backend,
                    },
                )
            elif isinstance(event, DeltaEvent):
                yield sse("delta", {"text": event.text})
            elif isinstance(event, DoneEvent):
                yield sse("done", response(event.result))
    except Exception:  # headers are sent: the error can only travel as an event
        logger.exception("the answer stream failed")
        yield sse(
            "error",
            {
                "error": {
                    "code": "stream_failed",
                    "message": "The answer could not be completed; ask again.",
                    "details": [],
                }
            },
        )
    finally:
        await events.aclose()  # type: ignore[attr-defined]
