"""A bound on concurrent generations with a short queue: when both are full, callers are
turned away at once instead of piling up."""

from __future__ import annotations

import anyio


class GateFull(Exception):
    """Every generation slot is busy and the queue is full."""


class GenerationGate:
    """At most `slots` holders at once, at most `queue` more waiting for a slot.

    >>> gate = GenerationGate(slots=4, queue=8)
    >>> await gate.acquire()  # raises GateFull when 4 run and 8 wait
    >>> try: ...
    ... finally: gate.release()
    """

    def __init__(self, slots: int, queue: int) -> None:
        if slots < 1 or queue < 0:
            raise ValueError("slots must be at least 1 and queue at least 0")
        self.slots = slots
        self.queue = queue
        self.active = 0
        self.waiting = 0
        self._semaphore = anyio.Semaphore(slots)

    async def acquire(self) -> None:
        if self._semaphore.value == 0 and self.waiting >= self.queue:
            raise GateFull(f"{self.active} generations running and {self.waiting} waiting")
        self.waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self.waiting -= 1
        self.active += 1

    def release(self) -> None:
        self.active -= 1
        self._semaphore.release()
