"""The loaded system's life after start-up: reload a rebuilt store (also on SIGHUP)."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable

import anyio
from starlette.datastructures import State

from app.service import QuestionAnswering
from app.settings import Settings
from app.telemetry import Metrics
from app.wiring import build_question_answering

logger = logging.getLogger("app.lifecycle")


class ReloadError(Exception):
    """The store on disk cannot be loaded; the one in use keeps serving."""


class StoreReloader:
    """Builds a QuestionAnswering from the store on disk, reusing the loaded embedder, and
    swaps it in with one assignment: requests in flight finish on the one they started with."""

    def __init__(
        self, state: State, settings: Settings, metrics: Metrics, shared: QuestionAnswering | None
    ) -> None:
        self._state = state
        self._settings = settings
        self._metrics = metrics
        self._shared = shared  # a system the caller owns: never closed here
        self._lock = anyio.Lock()
        self._retired: list[QuestionAnswering] = []

    async def reload(self) -> QuestionAnswering:
        async with self._lock:
            current: QuestionAnswering = self._state.qa
            try:
                fresh = await anyio.to_thread.run_sync(
                    build_question_answering,
                    self._settings,
                    current.retriever.embedder,
                    current.on_backend_error,
                )
            except Exception as exc:  # whatever is wrong with it, the old store keeps serving
                self._metrics.reloads.labels("failed").inc()
                logger.error("store reload refused: %s", exc)
                raise ReloadError(str(exc) or type(exc).__name__) from exc
            self._state.qa = fresh
            if current is not self._shared:
                # Answers in flight may still use its HTTP clients: closed at shutdown.
                self._retired.append(current)
            self._metrics.reloads.labels("ok").inc()
            self._metrics.set_store(fresh.manifest)
            logger.info(
                "store reloaded",
                extra={
                    "chunk_count": fresh.manifest.get("chunk_count"),
                    "built_at": fresh.manifest.get("built_at"),
                },
            )
            return fresh

    async def reload_quietly(self) -> None:
        try:
            await self.reload()
        except ReloadError:
            pass  # logged; the old store keeps serving

    async def aclose(self) -> None:
        for retired in self._retired:
            await retired.aclose()
        self._retired.clear()


def install_sighup(reloader: StoreReloader) -> Callable[[], None]:
    """SIGHUP reloads the store (main thread, asyncio loop only); returns the uninstaller."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    def on_hangup() -> None:
        logger.info("SIGHUP: reloading the store")
        task = loop.create_task(reloader.reload_quietly())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def uninstall() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    loop.add_signal_handler(signal.SIGHUP, on_hangup)
    return uninstall
