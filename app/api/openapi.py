"""The OpenAPI document, completed with what depends on settings (the backends' names)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def describe_backends(app: FastAPI, names: list[str]) -> None:
    """`AskRequest.backend` lists the configured backends, so a client (and a fuzzer) knows
    that any other name is a 422."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            backend = schema["components"]["schemas"]["AskRequest"]["properties"]["backend"]
            backend["anyOf"] = [{"type": "string", "enum": names}, {"type": "null"}]
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
