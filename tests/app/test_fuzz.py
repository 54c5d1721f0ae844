"""Schemathesis against the app's own OpenAPI schema, in-process: every operation, positive
and negative cases, the default checks (no server error, responses as documented: status,
content type, headers and body schema; invalid input rejected, valid input accepted)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from starlette.types import ASGIApp, Receive, Scope, Send

from app.main import create_app
from app.service import QuestionAnswering
from app.settings import Settings

pytestmark = pytest.mark.slow

# Per operation; operations with a small input space (GET /health) end early. The total
# across all operations is checked below.
EXAMPLES_PER_OPERATION = 260
MIN_TOTAL_CASES = 1000
CASES: list[str] = []


class DeferredApp:
    """The schema is read at import (collection); the app it calls needs the session's
    loaded system, so the fixture below plugs it in. (schemathesis.pytest.from_fixture
    would do this, but fails on pytest 9.)"""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the fuzz_app fixture plugs the app in"
        await self.app(scope, receive, send)


DEFERRED = DeferredApp()
OPENAPI = create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]
# A body over RAG_MAX_BODY_BYTES is rejected with 413 before validation: a rejection too.
REJECTED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {"negative_data_rejection": {"expected-statuses": [*REJECTED, "5xx"]}},
        # The question is the *last* user message, non-blank and at most 2,000 characters:
        # a rule on a position in an array, which JSON Schema cannot state. So a schema-valid
        # conversation may still get a 400 there; every other check runs on it.
        "operations": [
            {
                "include-path": "/v1/chat/completions",
                "checks": {"positive_data_acceptance": {"enabled": False}},
            }
        ],
    }
)
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG)
schema.app = DEFERRED


@pytest.fixture(scope="module")
def fuzz_app(
    settings: Settings, qa: QuestionAnswering, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz-data")
    app = create_app(settings.model_copy(update={"data_dir": data_dir}), qa=qa)
    assert app.openapi() == OPENAPI, "the schema fuzzed is the app's own"
    DEFERRED.app = app
    yield app


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, fuzz_app: Any) -> None:
    CASES.append(f"{case.method} {case.path}")
    case.call_and_validate()


def test_enough_cases_ran() -> None:
    """Runs after the fuzz test (file order): at least 1,000 generated requests in all."""
    if not CASES:
        pytest.skip("the fuzz test was not selected")
    print(f"\nschemathesis: {len(CASES)} cases, {Counter(CASES).most_common()}")
    assert len(CASES) >= MIN_TOTAL_CASES, f"only {len(CASES)} cases"
    assert {
        "POST /ask",
        "POST /search",
        "POST /feedback",
        "GET /chunks/{chunk_id}",
        "GET /v1/models",
        "POST /v1/chat/completions",
    } <= set(CASES)


def test_a_real_passage_is_validated_against_its_response_schema(fuzz_app: Any) -> None:
    """Random cases seldom hit an existing chunk id, so the 200 response schema of
    /chunks/{chunk_id} is checked here for certain (a tuple type once made it invalid)."""
    operation = schema["/chunks/{chunk_id}"]["GET"]
    case = operation.Case(path_parameters={"chunk_id": "strategi:0000"})
    response = case.call_and_validate()
    assert response.status_code == 200
