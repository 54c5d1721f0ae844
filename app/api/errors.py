"""Every error as a JSON body that says what was wrong and what is allowed."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.backends.base import UnknownBackendError
from app.completions.conversation import ProtocolError
from app.retrieval.store import StoreUnavailable
from app.schemas import MAX_HISTORY_TURNS, MAX_K, MAX_QUESTION_CHARS, ErrorResponse

# Seconds a client should wait after the store (PostgreSQL) was unreachable.
STORE_RETRY_AFTER_S = 5

logger = logging.getLogger("app.errors")

ALLOWED: dict[str, str] = {
    "question": f"text of 1–{MAX_QUESTION_CHARS} characters, at least one of them visible",
    "query": f"text of 1–{MAX_QUESTION_CHARS} characters, at least one of them visible",
    "k": f"an integer from 1 to {MAX_K}",
    "history": f"a list of at most {MAX_HISTORY_TURNS} turns "
    '{"role": "user"|"assistant", "content": "..."}',
    "role": '"user" or "assistant"',
    "content": "text of 1–8000 characters, at least one of them visible",
    "backend": "a backend name from GET /health, or null",
}


# How each error status is described in the OpenAPI document (in Swedish, like the rest).
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Ogiltig JSON.",
    401: "API-nyckel saknas eller är ogiltig (när nycklar är påslagna).",
    403: "Inte tillåtet härifrån.",
    404: "Finns inte.",
    409: "Kunde inte utföras i nuvarande läge.",
    413: "För stor begäran.",
    415: "Fel Content-Type.",
    422: "Ogiltiga fält.",
    429: "För många förfrågningar; se Retry-After.",
    503: "Tillfälligt otillgänglig; se Retry-After.",
    504: "Inget svar inom tidsgränsen.",
}
# What any route outside the open ones may answer, whatever its input.
GUARDED = (401, 429)


def error_docs(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, all with the ErrorResponse body; a keyword
    `s404="…"` overrides one description."""
    return {
        status: {
            "model": ErrorResponse,
            "description": descriptions.get(f"s{status}", ERROR_DESCRIPTIONS[status]),
        }
        for status in statuses
    }


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers
        self.param = param


# The error `type` of the OpenAI protocol, by status: with `param`, it makes every error
# body of this service one that the `openai` SDK and other chat clients read as their own.
_ERROR_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}


def error_type(status: int) -> str:
    return _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")


def error_response(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    param: str | None = None,
) -> JSONResponse:
    body = error_body(status, code, message, details, param)
    return JSONResponse(status_code=status, content=body, headers=headers)


def error_body(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """The ErrorResponse body; `status` gives its `type` (also for an error sent in a stream)."""
    error = {"code": code, "message": message, "type": error_type(status), "param": param}
    return {"error": error | {"details": details or []}}


def is_protocol_path(path: str) -> bool:
    """The OpenAI-compatible routes, whose clients expect a 400 for any invalid parameter."""
    return path.startswith("/v1/")


def _field_name(location: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in location if p != "body"]
    return ".".join(parts) or None


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for error in exc.errors():
        field = _field_name(tuple(error.get("loc", ())))
        leaf = str(error.get("loc", ("",))[-1])
        problem = str(error.get("msg", "invalid value"))
        if error.get("type") == "extra_forbidden":
            problem = "unknown field; remove it"
        details.append({"field": field, "problem": problem, "allowed": ALLOWED.get(leaf)})
    return details


async def _on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return error_response(
            400,
            "malformed_json",
            "The request body is not valid JSON; send a JSON object such as "
            '{"question": "Vad säger strategin om Nato?"}.',
        )
    details = _validation_details(exc)
    summary = "; ".join(
        f"{d['field'] or 'body'}: {d['problem']}"
        + (f" (allowed: {d['allowed']})" if d["allowed"] else "")
        for d in details
    )
    status = 400 if is_protocol_path(request.url.path) else 422
    param = details[0]["field"] if details else None
    return error_response(
        status, "invalid_request", f"Invalid request: {summary}", details, param=param
    )


def _unreadable_body(exc: StarletteHTTPException) -> JSONResponse | None:
    """FastAPI's 400 for a JSON body it could not decode says only that parsing failed; its
    cause says why (the body's bytes, or its depth)."""
    cause = exc.__cause__
    if exc.status_code != 400 or cause is None:
        return None
    if isinstance(cause, UnicodeDecodeError):
        return error_response(
            400,
            "body_not_utf8",
            f"The request body must be UTF-8 JSON; byte {cause.start} "
            f"(0x{cause.object[cause.start]:02x}) is not UTF-8 (a latin-1 or Windows-1252 "
            "body?). Encode the JSON as UTF-8.",
            param="body",
        )
    if isinstance(cause, RecursionError):
        return error_response(
            400,
            "malformed_json",
            "The request body is JSON nested too deeply to read.",
            param="body",
        )
    return None


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    unreadable = _unreadable_body(exc)
    if unreadable is not None:
        return unreadable
    messages = {
        404: f"No such endpoint: {request.url.path}. See /docs for the API.",
        405: f"Method {request.method} is not allowed on {request.url.path}. See /docs.",
    }
    message = messages.get(exc.status_code, str(exc.detail))
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, f"http_{exc.status_code}", message, headers=headers)


async def _on_api_error(request: Request, exc: ApiError) -> JSONResponse:
    return error_response(
        exc.status, exc.code, exc.message, exc.details, exc.headers, param=exc.param
    )


async def _on_protocol_error(request: Request, exc: ProtocolError) -> JSONResponse:
    return error_response(400, exc.code, exc.message, param=exc.param)


async def _on_unknown_backend(request: Request, exc: UnknownBackendError) -> JSONResponse:
    return error_response(
        422,
        "unknown_backend",
        str(exc),
        param="backend",
        details=[
            {
                "field": "backend",
                "problem": f"'{exc.name}' is not configured",
                "allowed": ", ".join(exc.valid),
            }
        ],
    )


async def _on_store_unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
    logger.warning("store unavailable on %s: %s", request.url.path, exc)
    return error_response(
        503,
        "store_unavailable",
        "The passage store is unreachable right now; nothing was lost, retry shortly.",
        headers={"Retry-After": str(STORE_RETRY_AFTER_S)},
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(
        500, "internal_error", "The service failed to answer; the error was logged."
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(ApiError, _on_api_error)  # type: ignore[arg-type]
    app.add_exception_handler(UnknownBackendError, _on_unknown_backend)  # type: ignore[arg-type]
    app.add_exception_handler(ProtocolError, _on_protocol_error)  # type: ignore[arg-type]
    app.add_exception_handler(StoreUnavailable, _on_store_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)
