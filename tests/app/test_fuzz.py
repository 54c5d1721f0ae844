"""Schemathesis against the app's own OpenAPI schema, in-process: every operation, /v1/*
included, positive and negative cases, all of schemathesis's checks (no server error,
responses as documented: status, content type, headers and body schema; invalid input
rejected, valid input accepted; auth, methods, resources). Then a stateful phase: feedback
then export, reload then ask, in any order hypothesis picks."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from starlette.types import ASGIApp, Receive, Scope, Send

from app.feedback.schemas import FeedbackRequest
from app.main import create_app
from app.service import QuestionAnswering
from app.settings import Settings

pytestmark = pytest.mark.slow

# Per operation; operations with a small input space (GET /health) end early. Answering
# (/ask, /v1/chat/completions) costs a retrieval and a composition per case, so it gets fewer.
# The total across all operations is checked below.
EXAMPLES_PER_OPERATION = 160
EXAMPLES_PER_ANSWERING_OPERATION = 120
ANSWERING = r"^/(ask|v1/chat/completions)$"
MIN_TOTAL_CASES = 2000
CASES: list[str] = []
FAILURES: list[str] = []


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


def _run(case: schemathesis.Case) -> None:
    CASES.append(f"{case.method} {case.path}")
    try:
        case.call_and_validate()
    except Exception:
        FAILURES.append(f"{case.method} {case.path}")
        raise


@schema.exclude(path_regex=ANSWERING).parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, fuzz_app: Any) -> None:
    _run(case)


@schema.include(path_regex=ANSWERING).parametrize()
@settings(
    max_examples=EXAMPLES_PER_ANSWERING_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_answering_conforms_to_its_schema(case: schemathesis.Case, fuzz_app: Any) -> None:
    _run(case)


def test_enough_cases_ran() -> None:
    """Runs after the fuzz tests (file order): at least 2,000 generated requests in all."""
    if not CASES:
        pytest.skip("the fuzz test was not selected")
    print(f"\nschemathesis: {len(CASES)} cases, {len(FAILURES)} failures")
    print(f"schemathesis per operation: {Counter(CASES).most_common()}")
    assert not FAILURES, Counter(FAILURES)
    assert len(CASES) >= MIN_TOTAL_CASES, f"only {len(CASES)} cases"
    every_operation = {f"{m.upper()} {p}" for p, ops in OPENAPI["paths"].items() for m in ops}
    assert every_operation <= set(CASES), every_operation - set(CASES)


def test_a_real_passage_is_validated_against_its_response_schema(fuzz_app: Any) -> None:
    """Random cases seldom hit an existing chunk id, so the 200 response schema of
    /chunks/{chunk_id} is checked here for certain (a tuple type once made it invalid)."""
    operation = schema["/chunks/{chunk_id}"]["GET"]
    case = operation.Case(path_parameters={"chunk_id": "strategi:0000"})
    response = case.call_and_validate()
    assert response.status_code == 200


# The stateful phase: feedback written (from schemathesis's own valid bodies) is all in the
# export, in the input policy's cleaned form; a reload between questions changes no answer.
STEPS: Counter[str] = Counter()
QUESTION = "Hur många förtroendeskapande åtgärder har OSSE antagit?"


class FeedbackAndReload(RuleBasedStateMachine):
    client: TestClient
    first_answer: str

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[int, dict[str, Any]] = {}
        baseline = {int(row["id"]) for row in self._export()}
        self.before = baseline

    def _export(self) -> list[dict[str, Any]]:
        response = self.client.get("/feedback/export")
        assert response.status_code == 200
        return [json.loads(line) for line in response.text.splitlines()]

    @rule(case=schema["/feedback"]["POST"].as_strategy())
    def give_feedback(self, case: schemathesis.Case) -> None:
        STEPS["feedback"] += 1
        CASES.append("stateful POST /feedback")
        response = case.call_and_validate()
        if response.status_code == 201:
            self.stored[response.json()["id"]] = FeedbackRequest.model_validate(
                case.body
            ).model_dump()

    @rule()
    def export(self) -> None:
        STEPS["export"] += 1
        rows = {int(row["id"]): row for row in self._export() if int(row["id"]) not in self.before}
        assert set(rows) == set(self.stored), "every 201 is exported, nothing else"
        for row_id, sent in self.stored.items():
            for field in ("question", "answer", "rating", "comment", "backend", "search_query"):
                assert rows[row_id][field] == sent[field], (field, rows[row_id], sent)

    @rule()
    def reload(self) -> None:
        STEPS["reload"] += 1
        response = self.client.post("/admin/reload")
        assert response.status_code == 200, response.text

    @rule()
    def ask(self) -> None:
        STEPS["ask"] += 1
        response = self.client.post("/ask", json={"question": QUESTION})
        assert response.status_code == 200
        assert response.json()["answer"] == self.first_answer


def test_stateful_feedback_export_reload_ask(fuzz_app: Any) -> None:
    with TestClient(fuzz_app, client=("127.0.0.1", 50000)) as client:
        FeedbackAndReload.client = client
        FeedbackAndReload.first_answer = client.post("/ask", json={"question": QUESTION}).json()[
            "answer"
        ]
        run_state_machine_as_test(
            FeedbackAndReload,
            settings=settings(
                max_examples=12,
                stateful_step_count=10,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    print(f"\nstateful phase: {sum(STEPS.values())} steps, {dict(STEPS)}, 0 failures")
    assert STEPS["reload"] and STEPS["export"] and STEPS["feedback"]
