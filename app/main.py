"""The FastAPI application: heavy parts load once in the lifespan, never at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.errors import install_error_handlers
from app.api.feedback import router as feedback_router
from app.api.routes import router
from app.api.security import SecurityHeadersMiddleware
from app.api.ui import install_ui
from app.components import build_question_answering
from app.feedback.store import FEEDBACK_FILE, FeedbackStore
from app.service import QuestionAnswering
from app.settings import Settings, get_settings

logger = logging.getLogger("app")

DESCRIPTION = """
Frågor och svar om Sveriges strategi för utrikes- och säkerhetspolitiskt arbete med
cyberfrågor och digitala frågor (och pressmeddelandet om den bilaterala cyberdialogen
med USA). Varje påstående i ett svar hänvisar till sin passage som [n]; när dokumenten
inte besvarar frågan säger tjänsten det i stället för att gissa.
"""


def create_app(settings: Settings | None = None, qa: QuestionAnswering | None = None) -> FastAPI:
    """`qa` lets tests share one loaded system between apps."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings or get_settings()
        app.state.qa = qa or build_question_answering(resolved)
        app.state.feedback = FeedbackStore(resolved.data_dir / FEEDBACK_FILE)
        logger.info("ready: %d passages", len(app.state.qa.store.chunks))
        yield
        if qa is None:  # a shared system belongs to whoever built it
            await app.state.qa.backends.aclose()

    app = FastAPI(
        title="Cyberstrategi – frågor och svar",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware)
    app.include_router(router)
    app.include_router(feedback_router)
    install_ui(app)
    return app
