"""Passing a stream on until a deadline (anyio.current_time()), then saying it passed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

import anyio

ItemT = TypeVar("ItemT")


class DeadlinePassed(Exception):
    """The deadline came before the stream's next item."""


async def until(items: AsyncIterator[ItemT], deadline: float | None) -> AsyncIterator[ItemT]:
    """`items` until `deadline` (None: no deadline), then DeadlinePassed; closes `items` however
    it ends (for a model's stream: its connection). Each wait is its own cancel scope, so no
    scope spans a `yield`."""
    try:
        while True:
            remaining = None if deadline is None else max(0.0, deadline - anyio.current_time())
            with anyio.move_on_after(remaining) as scope:
                try:
                    item = await items.__anext__()
                except StopAsyncIteration:
                    return
            if scope.cancelled_caught:
                raise DeadlinePassed("the deadline passed before the stream ended")
            yield item
    finally:
        await items.aclose()  # type: ignore[attr-defined]
