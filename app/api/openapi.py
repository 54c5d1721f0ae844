"""The OpenAPI document: what FastAPI cannot infer (the server-sent events of `/ask`) and
what depends on settings (the backends' names)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.completions.models import model_names


def _event(name: str, data: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["event", "data"],
        "properties": {
            "event": {"const": name},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": data,
            },
        },
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# One server-sent event of POST /ask, for the OpenAPI document: its name and its JSON data.
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "oneOf": [
        _event(
            "citations",
            {
                "type": "object",
                "required": ["citations", "search_query", "backend"],
                "properties": {
                    "citations": {"type": "array", "items": _ref("Citation")},
                    "search_query": {"type": "string"},
                    "backend": {"type": "string"},
                },
            },
            "Först: passagerna som svaret kan hänvisa till.",
        ),
        _event(
            "delta",
            {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
            "Sedan: nästa bit av svaret.",
        ),
        _event("done", _ref("AskResponse"), "Sist: hela svaret (det gäller)."),
        _event("error", _ref("ErrorResponse"), "Svaret kunde inte slutföras."),
    ]
}


def describe_backends(app: FastAPI, names: list[str]) -> None:
    """`AskRequest.backend` lists the configured backends, and `ChatCompletionRequest.model`
    their model names, so a client (and a fuzzer) knows that any other name is an error."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema["components"]["schemas"]
            for request in ("AskRequest", "SearchRequest"):
                backend = components[request]["properties"]["backend"]
                backend["anyOf"] = [{"type": "string", "enum": names}, {"type": "null"}]
            components["ChatCompletionRequest"]["properties"]["model"]["enum"] = model_names(names)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
