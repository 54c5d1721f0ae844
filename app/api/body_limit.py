"""Bounds on request bodies, enforced on the bytes that arrive (not only Content-Length):
the body is read up to the limit before the app sees it; one byte more is a 413. The whole
body must arrive within `timeout_s` of the first read: a client that trickles it byte by
byte (or stops sending) gets a 408 and its connection is closed, instead of holding the
request open for as long as it likes (uvicorn itself has no body timeout)."""

from __future__ import annotations

import asyncio
import logging

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_response

logger = logging.getLogger("app.limits")


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        logger.warning("request body over the limit", extra={"limit_bytes": self.max_bytes})
        response = error_response(
            413,
            "payload_too_large",
            f"The request body is larger than {self.max_bytes} bytes; send a shorter one.",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)

    async def _too_slow(self, scope: Scope, receive: Receive, send: Send) -> None:
        logger.warning("request body too slow", extra={"timeout_s": self.timeout_s})
        response = error_response(
            408,
            "body_timeout",
            f"The request body did not arrive within {self.timeout_s:g} seconds; send it "
            "whole, at once.",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        buffered: list[Message] = []
        try:
            async with asyncio.timeout(self.timeout_s):
                too_large = await self._read(receive, buffered)
        except TimeoutError:
            await self._too_slow(scope, receive, send)
            return
        if too_large:
            await self._too_large(scope, receive, send)
            return

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive, buffered: list[Message]) -> bool:
        """Reads the body into `buffered`; True as soon as it is over the limit."""
        size = 0
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                return False  # the client went away: let the app see that
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                return True
            if not message.get("more_body", False):
                return False
