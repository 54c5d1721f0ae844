"""The FastAPI application: heavy parts load once in the lifespan, never at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from app.api.access_control import AccessMiddleware, load_access_policy
from app.api.admin import router as admin_router
from app.api.ask import router as ask_router
from app.api.body_limit import BodyLimitMiddleware
from app.api.chat_completions import ChatOptions
from app.api.chat_completions import router as chat_router
from app.api.context import RequestContextMiddleware
from app.api.deps import AskLimits
from app.api.errors import install_error_handlers
from app.api.feedback import router as feedback_router
from app.api.openapi import describe_backends
from app.api.routes import router
from app.api.security import SecurityHeadersMiddleware
from app.api.ui import install_ui
from app.lifecycle import StoreReloader, install_sighup
from app.limits.bucket import RateLimiter
from app.limits.gate import GenerationGate
from app.service import QuestionAnswering
from app.settings import Settings, get_settings
from app.telemetry import Metrics
from app.wiring import backend_names, build_question_answering, feedback_records

logger = logging.getLogger("app")

DESCRIPTION = """
Frågor och svar om Sveriges strategi för utrikes- och säkerhetspolitiskt arbete med
cyberfrågor och digitala frågor (och pressmeddelandet om den bilaterala cyberdialogen
med USA). Varje påstående i ett svar hänvisar till sin passage som [n]; när dokumenten
inte besvarar frågan säger tjänsten det i stället för att gissa.
"""


def create_app(
    settings: Settings | None = None,
    qa: QuestionAnswering | None = None,
    reload_on_sighup: bool = False,
) -> FastAPI:
    """`qa` lets tests share one loaded system between apps; `python -m app` sets
    `reload_on_sighup`. A bad key file raises AccessConfigError here, before serving."""
    resolved = settings or get_settings()
    access = load_access_policy(resolved)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.qa = qa or build_question_answering(resolved)
        # A shared system reports to whichever app serves it now (tests share one).
        app.state.qa.on_backend_error = metrics.backend_error
        app.state.feedback = feedback_records(resolved)
        gate = GenerationGate(resolved.max_concurrent_generations, resolved.generation_queue)
        metrics.watch_gate(lambda: gate.active, lambda: gate.waiting)
        metrics.set_store(app.state.qa.manifest)
        app.state.ask_limits = AskLimits(gate, resolved.request_deadline_s, metrics)
        reloader = StoreReloader(app.state, resolved, metrics, shared=qa)
        app.state.reloader = reloader
        uninstall = install_sighup(reloader) if reload_on_sighup else None
        logger.info("ready: %d passages", app.state.qa.manifest["chunk_count"])
        yield
        if uninstall is not None:
            uninstall()
        await reloader.aclose()
        app.state.feedback.close()
        if app.state.qa is not qa:  # a shared system belongs to whoever built it
            await app.state.qa.aclose()

    app = FastAPI(
        title="Cyberstrategi – frågor och svar",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.access = access
    app.state.chat_options = ChatOptions(resolved.public_url, resolved.chat_sources_block)
    app.state.metrics = metrics
    install_error_handlers(app)
    # Added innermost first: a request meets them in the reverse order.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=resolved.max_body_bytes,
        timeout_s=resolved.body_timeout_s,
    )
    limiter = (
        RateLimiter(resolved.rate_limit_per_minute, resolved.rate_limit_burst)
        if resolved.rate_limit_per_minute > 0 or access.has_key_limits
        else None
    )
    app.add_middleware(AccessMiddleware, policy=access, limiter=limiter)
    if resolved.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=resolved.cors_origin_list,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    app.include_router(router)
    app.include_router(ask_router)
    app.include_router(feedback_router)
    app.include_router(admin_router)
    app.include_router(chat_router)
    install_ui(app)
    describe_backends(app, backend_names(resolved))
    return app
