"""Request fields accept what the OpenAPI schema promises and nothing else (what the
schemathesis run in test_fuzz.py found; these are its cases as plain tests)."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from app.feedback.schemas import FeedbackCitation, FeedbackRequest
from app.schema_types import NOT_BLANK_PATTERN
from app.schemas import AskRequest, SearchRequest


def test_not_blank_pattern_never_matches_whitespace() -> None:
    """The pattern is the input policy's "visible" (tests/app/test_text_policy.py checks
    every code point); whatever str.strip() removes is never visible."""
    pattern = re.compile(NOT_BLANK_PATTERN)
    for code in range(0x3100):
        char = chr(code)
        if not char.strip():
            assert not pattern.search(char), hex(code)


def test_the_schema_carries_the_pattern() -> None:
    assert AskRequest.model_json_schema()["properties"]["question"]["pattern"] == NOT_BLANK_PATTERN
    assert SearchRequest.model_json_schema()["properties"]["query"]["pattern"] == NOT_BLANK_PATTERN


@pytest.mark.parametrize("blank", [" ", "\x1e", "\u3000\n", "\x85"])
def test_whitespace_only_text_is_refused(blank: str) -> None:
    with pytest.raises(ValidationError):
        SearchRequest.model_validate({"query": blank})


@pytest.mark.parametrize(
    "body",
    [
        {"question": "Nato?", "k": "5"},
        {"question": "Nato?", "k": True},
        {"question": "Nato?", "stream": 0},
        {"question": "Nato?", "stream": "true"},
    ],
)
def test_no_coercion_of_strings_and_numbers(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AskRequest.model_validate(body)


def test_json_integers_may_be_written_as_floats() -> None:
    assert AskRequest.model_validate({"question": "Nato?", "k": 12.0}).k == 12
    with pytest.raises(ValidationError):
        AskRequest.model_validate({"question": "Nato?", "k": 12.5})
    assert FeedbackCitation.model_validate({"chunk_id": "a:1", "ref": 2.0}).ref == 2
    assert FeedbackCitation.model_validate({"chunk_id": "a:1", "score": 1}).score == 1.0


def test_feedback_flags_are_booleans() -> None:
    base = {"question": "F?", "answer": "S. [1]", "rating": "up", "backend": "extractive"}
    with pytest.raises(ValidationError):
        FeedbackRequest.model_validate({**base, "degraded": 0})
    ref = FeedbackCitation.model_json_schema()["properties"]["ref"]["anyOf"][0]
    assert ref == {"minimum": 1, "type": "integer"}
