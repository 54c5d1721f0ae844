"""One input policy for every text field (app/text_policy.py): the pure rules, then every
field that reads text over HTTP, then a property: arbitrary Unicode in gives a 4xx that
names the field, or a 200 whose answer is the one the cleaned text gets."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.main import create_app
from app.service import QuestionAnswering
from app.settings import Settings
from app.text_policy import (
    VISIBLE_PATTERN,
    TextPolicyError,
    TextRule,
    check,
    check_optional,
    clean,
    has_visible,
)

INVISIBLE = ["\u0000\u0000", "\u200b\u200b", "\u202e", "\ufeff \u2060", "\u00ad\n\t", "\u3164"]
QUESTION = "Vad säger strategin om samarbetet inom Nato?"
# Every character the policy removes, met inside otherwise good text.
HIDDEN = ["\u0000", "\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u00ad", "\u0007"]


# --- the rules, without HTTP ------------------------------------------------------------


@pytest.mark.parametrize("hidden", HIDDEN)
def test_control_and_format_characters_are_removed(hidden: str) -> None:
    assert clean(f"Na{hidden}to?{hidden}") == "Nato?"
    assert check(f" {hidden}Nato? ", TextRule(100)) == "Nato?"


def test_tab_line_feed_and_cr_stay() -> None:
    assert clean("rad ett\nrad\ttvå\r\nslut") == "rad ett\nrad\ttvå\r\nslut"


def test_nfc() -> None:
    decomposed = "Sa\u030amarbete"  # "å" as a + combining ring
    assert clean(decomposed) == "Samarbete".replace("Sa", "Så")
    assert unicodedata.is_normalized("NFC", clean(decomposed))
    # Removing a zero-width space between a base and its mark composes them.
    assert clean("a\u200b\u030a") == "å"


@pytest.mark.parametrize("text", INVISIBLE)
def test_a_text_with_nothing_visible_is_refused(text: str) -> None:
    with pytest.raises(TextPolicyError, match="no visible characters"):
        check(text, TextRule(100))
    assert check_optional(text, TextRule(100)) is None


def test_a_lone_surrogate_is_refused_with_its_position() -> None:
    with pytest.raises(TextPolicyError, match=r"lone surrogate \(U\+D800\) at character 3"):
        check("Nat\ud800o", TextRule(100))


def test_limits_in_characters_and_in_bytes() -> None:
    assert check("å" * 10, TextRule(10)) == "å" * 10
    with pytest.raises(TextPolicyError, match="11 characters; at most 10"):
        check("a" * 11, TextRule(10))
    # Bytes are counted in UTF-8: ten "å" are 20 bytes.
    with pytest.raises(TextPolicyError, match="20 bytes in UTF-8; at most 19"):
        check("å" * 10, TextRule(None, 19))
    assert TextRule(10).byte_limit == 40  # a character is at most 4 bytes
    # Limits count the text as sent, so a text padded with NULs is refused, not trimmed.
    with pytest.raises(TextPolicyError, match="characters"):
        check("Nato?" + "\u0000" * 10, TextRule(10))


@given(st.text())
def test_cleaning_is_idempotent_and_leaves_nothing_hidden(text: str) -> None:
    cleaned = clean(text)
    assert clean(cleaned) == cleaned
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not any(unicodedata.category(c) in ("Cc", "Cf") for c in cleaned if c not in "\t\n\r")
    assert cleaned == cleaned.strip()


def test_the_schema_pattern_agrees_with_the_policy_on_every_code_point() -> None:
    """The OpenAPI schema's "visible" pattern and has_visible() say the same of each of
    the 1,114,112 code points but the surrogates, which a portable pattern cannot name
    (check() refuses a lone one)."""
    invisible = re.compile(VISIBLE_PATTERN.replace("[^", "[", 1))
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        assert bool(invisible.fullmatch(char)) is not has_visible(char), hex(code)


def test_the_written_out_pattern_is_the_derived_one() -> None:
    """VISIBLE_PATTERN is written out for start-up's sake; a new Unicode version changes the
    derivation and this test says to write it out again."""
    from app.text_policy import derived_visible_pattern

    assert VISIBLE_PATTERN == derived_visible_pattern()


def test_the_schema_pattern_is_a_regex_for_ecma_engines_too() -> None:
    """jsonschema-rs (schemathesis's validator) must accept it, or fuzzing ignores it."""
    from schemathesis.core.jsonschema import make_validator_for

    is_valid = make_validator_for({"type": "string", "pattern": VISIBLE_PATTERN}).is_valid
    assert is_valid("Nato") and is_valid(" \u00e5 ")
    assert not is_valid("\u0019") and not is_valid(" \u200b\u0084 ")


# --- every field over HTTP --------------------------------------------------------------


@pytest.fixture(scope="module")
def http(settings: Settings, qa: QuestionAnswering, tmp_path_factory: Any) -> Iterator[TestClient]:
    data_dir: Path = tmp_path_factory.mktemp("policy-data")
    app = create_app(settings.model_copy(update={"data_dir": data_dir}), qa=qa)
    with TestClient(app) as client:
        yield client


def _send(client: TestClient, method: str, path: str, body: dict[str, Any]) -> Any:
    """JSON with \\u escapes, as any JSON encoder may write a lone surrogate."""
    if not body:
        return client.request(method, path)
    content = json.dumps(body)
    return client.request(method, path, content=content, headers={"content-type": JSON})


JSON = "application/json"
FEEDBACK = {"question": QUESTION, "answer": "Svar. [1]", "rating": "up", "backend": "extractive"}
ASSISTANT = {"role": "assistant", "content": "Svar. [1]"}
USER_Q = {"role": "user", "content": "Vad är NB8, och vilka länder ingår?"}


def _fields(bad: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, body, field the error names) with `bad` in each text field."""
    return [
        ("POST", "/ask", {"question": bad}, "question"),
        ("POST", "/search", {"query": bad}, "query"),
        (
            "POST",
            "/ask",
            {"question": QUESTION, "history": [{"role": "user", "content": bad}]},
            "history.0.content",
        ),
        ("POST", "/feedback", {**FEEDBACK, "question": bad}, "question"),
        ("POST", "/feedback", {**FEEDBACK, "answer": bad}, "answer"),
        ("POST", "/feedback", {**FEEDBACK, "citations": [bad]}, "citations.0"),
        (
            "POST",
            "/v1/chat/completions",
            {"model": "cyberstrategi", "messages": [{"role": "user", "content": bad}]},
            "messages[0].content",
        ),
        ("GET", f"/chunks/{quote(bad)}", {}, "path.chunk_id"),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["\u0000\u0000", "\u200b\u200b", "\u202e\u2066"])
def test_every_text_field_refuses_invisible_text_and_names_itself(
    http: TestClient, bad: str
) -> None:
    for method, path, body, field in _fields(bad):
        response = _send(http, method, path, body)
        assert 400 <= response.status_code < 500, (path, field, response.text)
        error = response.json()["error"]
        assert field in (error["param"] or ""), (path, error)
        assert "no visible characters" in error["message"], (path, error)


@pytest.mark.slow
def test_nul_inside_text_is_removed_everywhere(http: TestClient) -> None:
    """The same text with NULs and zero-width characters in it is answered, searched and
    stored as the text without them (feedback stored the NULs before)."""
    dirty = "Vad säger strategin om\u0000 samarbetet inom Na\u200bto?\u0000"
    asked = http.post("/ask", json={"question": dirty}).json()
    assert _stable(asked) == _stable(http.post("/ask", json={"question": QUESTION}).json())
    found = http.post("/search", json={"query": dirty}).json()
    assert found["query"] == QUESTION
    comment = "Bra\u0000 svar\u202e, tack"
    stored = http.post(
        "/feedback",
        json={**FEEDBACK, "question": dirty, "comment": comment, "citations": ["strategi:0052\0"]},
    )
    assert stored.status_code == 201, stored.text
    row = json.loads(http.get("/feedback/export").text.splitlines()[-1])
    assert row["question"] == QUESTION
    assert row["comment"] == "Bra svar, tack"
    assert row["citations"] == [{"chunk_id": "strategi:0052"}]
    assert "\u0000" not in http.get("/feedback/export?format=csv").text
    assert http.get("/chunks/strategi:0052%00").json()["chunk_id"] == "strategi:0052"


# --- the property -----------------------------------------------------------------------

# Arbitrary Unicode, with what the policy acts on over-represented: controls, format
# characters, combining marks, surrogates, fillers, and words the store can answer.
_SPECIAL = st.sampled_from(
    ["\u0000", "\u200b", "\u202e", "\u2066", "\ufeff", "\u00ad", "\u030a", "\u3164", "\ud800"]
    + ["\udfff", "\n", " ", "\u2028", "\x85", "Nato", "OSSE", " cyber ", "å", "ﬁ", "Å"]
)
UNICODE = st.lists(st.one_of(st.text(max_size=8), _SPECIAL), max_size=12).map("".join)


def _answer(client: TestClient, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = _send(client, "POST", path, body)
    return response.status_code, response.json()


def _stable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("timings_ms", "id", "created")}


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=UNICODE)
def test_any_unicode_question_is_refused_by_name_or_answered_as_its_cleaned_text(
    http: TestClient, text: str
) -> None:
    status, body = _answer(http, "/ask", {"question": text})
    if status != 200:
        assert status == 422, body
        assert body["error"]["param"] == "question", body
        return
    again_status, again = _answer(http, "/ask", {"question": clean(text)})
    assert again_status == 200
    assert _stable(body) == _stable(again)


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=UNICODE)
def test_any_unicode_in_a_v1_message_is_refused_by_name_or_answered_as_its_cleaned_text(
    http: TestClient, text: str
) -> None:
    def complete(question: str) -> tuple[int, dict[str, Any]]:
        messages = [{"role": "user", "content": QUESTION}, ASSISTANT]
        messages.append({"role": "user", "content": question})
        return _answer(
            http, "/v1/chat/completions", {"model": "cyberstrategi", "messages": messages}
        )

    status, body = complete(text)
    if status != 200:
        assert status == 400, body
        assert body["error"]["param"].startswith(("messages[2]", "messages.2")), body
        return
    again_status, again = complete(clean(text))
    assert again_status == 200
    assert body["choices"] == again["choices"]
    assert body["citations"] == again["citations"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/ask", {"question": "Vad säger strategin om Nato och EU:s roll?"}),
        ("/feedback", {**FEEDBACK, "comment": "Bra svar, även för säkerhetsfrågor."}),
        ("/v1/chat/completions", {"model": "cyberstrategi", "messages": [USER_Q]}),
    ],
)
def test_a_latin1_body_is_refused_as_not_utf8_json(
    http: TestClient, path: str, body: dict[str, Any]
) -> None:
    content = json.dumps(body, ensure_ascii=False).encode("latin-1")
    response = http.post(path, content=content, headers={"content-type": JSON})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "body_not_utf8"
    assert "must be UTF-8 JSON" in error["message"]
    assert set(error) == {"code", "message", "type", "param", "details"}
    assert error["type"] == "invalid_request_error"
