"""The FastAPI application: heavy parts load once in the lifespan, never at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.errors import install_error_handlers
from app.api.routes import router
from app.components import build_question_answering
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
        app.state.qa = qa or build_question_answering(settings or get_settings())
        logger.info("ready: %d passages", len(app.state.qa.store.chunks))
        yield

    app = FastAPI(
        title="Cyberstrategi – frågor och svar",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(router)
    return app
