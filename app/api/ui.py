"""The chat page and the reading view: static HTML, CSS and JavaScript in `app/static/`."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from app.api.deps import QA

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Revalidate on every load (ETag), so a new release never runs with stale scripts.
_NO_CACHE = {"Cache-Control": "no-cache"}


class _RevalidatingStaticFiles(StaticFiles):
    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(_NO_CACHE)
        return response


def install_ui(app: FastAPI) -> None:
    """Serves the chat page at `/`, the reading view at `/dokument/{doc_id}` and their
    assets under `/static/`."""
    app.mount("/static", _RevalidatingStaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=_NO_CACHE)

    @app.get("/dokument/{doc_id}", include_in_schema=False)
    def reading_view(doc_id: str, qa: QA) -> FileResponse:
        # The page is a shell: its script reads the text from GET /documents/{doc_id}, which
        # stays behind the API keys. An unknown id gets a Swedish page, not a JSON error.
        if any(doc["id"] == doc_id for doc in qa.manifest["documents"]):
            return FileResponse(STATIC_DIR / "document.html", headers=_NO_CACHE)
        return FileResponse(STATIC_DIR / "missing.html", status_code=404, headers=_NO_CACHE)
