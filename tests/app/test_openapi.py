"""The OpenAPI document is valid OpenAPI 3.1, whatever backends are configured (their names
are written into it), so generators, gateways and fuzzers can read it."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from app.main import create_app
from app.settings import Settings


@pytest.mark.parametrize("llm_base_url", [None, "http://127.0.0.1:9/v1"])
def test_the_document_is_valid_openapi_3_1(llm_base_url: str | None) -> None:
    settings = Settings(_env_file=None, llm_base_url=llm_base_url)  # type: ignore[call-arg]
    document = create_app(settings).openapi()
    assert document["openapi"].startswith("3.1")
    validate(document)
    model = document["components"]["schemas"]["ChatCompletionRequest"]["properties"]["model"]
    assert "cyberstrategi" in model["enum"]


def test_the_validator_rejects_the_tuple_form_that_once_slipped_in() -> None:
    """`items: [...]` (OpenAPI 3.0's tuple form, once in GET /chunks/{chunk_id}) is invalid
    3.1: the test above would catch it coming back."""
    document = create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]
    sentences = document["components"]["schemas"]["ChunkResponse"]["properties"]["sentences"]
    sentences["items"] = [{"type": "integer"}, {"type": "integer"}]
    with pytest.raises(OpenAPIValidationError):
        validate(document)
