"""Operations: `POST /admin/reload` (or SIGHUP) swaps in a rebuilt store; `GET /metrics`."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import State

from app.access.networks import is_loopback
from app.api.access import AccessPolicy, identity_of
from app.api.errors import GUARDED, ApiError, error_docs
from app.api.routes import store_summary
from app.backends.base import BackendRegistry
from app.components import build_question_answering
from app.metrics import Metrics
from app.schemas import ReloadResponse
from app.service import QuestionAnswering
from app.settings import Settings

logger = logging.getLogger("app.admin")

router = APIRouter(tags=["admin"])


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
        self._retired: list[BackendRegistry] = []

    async def reload(self) -> QuestionAnswering:
        async with self._lock:
            current: QuestionAnswering = self._state.qa
            try:
                fresh = await anyio.to_thread.run_sync(
                    build_question_answering, self._settings, current.retriever.embedder
                )
            except Exception as exc:  # whatever is wrong with it, the old store keeps serving
                self._metrics.reloads.labels("failed").inc()
                logger.error("store reload refused: %s", exc)
                raise ReloadError(str(exc) or type(exc).__name__) from exc
            fresh.on_backend_error = current.on_backend_error
            self._state.qa = fresh
            if current is not self._shared:
                # Answers in flight may still use its HTTP clients: closed at shutdown.
                self._retired.append(current.backends)
            self._metrics.reloads.labels("ok").inc()
            self._metrics.set_store(fresh.store.manifest)
            logger.info(
                "store reloaded",
                extra={
                    "chunk_count": fresh.store.manifest.get("chunk_count"),
                    "built_at": fresh.store.manifest.get("built_at"),
                },
            )
            return fresh

    async def reload_quietly(self) -> None:
        try:
            await self.reload()
        except ReloadError:
            pass  # logged; the old store keeps serving

    async def aclose(self) -> None:
        for registry in self._retired:
            await registry.aclose()
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


def require_admin(request: Request) -> None:
    policy: AccessPolicy = request.app.state.access
    identity = identity_of(request.scope)
    if policy.keys_on and identity.key_name is None:
        raise ApiError(403, "forbidden", "Administration needs an API key, not a browser login.")
    if not policy.keys_on and not is_loopback(identity.client):
        raise ApiError(
            403,
            "forbidden",
            "With API keys off, /admin is only allowed from this machine (127.0.0.1 or ::1).",
        )


def get_reloader(request: Request) -> StoreReloader:
    reloader: StoreReloader = request.app.state.reloader
    return reloader


@router.post(
    "/admin/reload",
    response_model=ReloadResponse,
    responses=error_docs(403, 409, *GUARDED, s409="Det nya indexet kunde inte läsas in."),
    dependencies=[Depends(require_admin)],
    summary="Läs in ett nybyggt index",
)
async def reload_store(
    reloader: Annotated[StoreReloader, Depends(get_reloader)],
) -> ReloadResponse:
    """Loads the store on disk and swaps it in; a bad store is refused and the old one stays."""
    try:
        fresh = await reloader.reload()
    except ReloadError as exc:
        raise ApiError(
            409,
            "reload_failed",
            f"The store on disk was not loaded; the previous one is still serving. {exc}",
        ) from exc
    return ReloadResponse(status="reloaded", store=store_summary(fresh.store.manifest))


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus metrics (text exposition format)."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=Metrics.content_type)
