"""The chat page: static HTML, CSS and JavaScript shipped in `app/static/`."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

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
    """Serves the page at `/` and its assets under `/static/`."""
    app.mount("/static", _RevalidatingStaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=_NO_CACHE)
