"""The model's yes/no on a narrowly gated question: asked briefly, a "no" refuses, a failure
keeps the gate's decision. The LLM is a real loopback server (tests/app/fake_llm.py)."""

from __future__ import annotations

from typing import Any

import pytest

from app.backends.prompts import PromptTemplates, answerable_messages, parse_yes_no
from app.settings import PROMPTS_DIR
from tests.app.fake_llm import answer, fake_llm, grounded, status

QUESTION = "Vad säger strategin om samarbetet inom Nato?"
# Every answerable question counts as narrowly gated: the check is always asked.
ALWAYS = {"llm_doubt_band": 0.5}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ja", True),
        ("ja.", True),
        ("Yes", True),
        ("Nej", False),
        ("nej, det gör den inte", False),
        ("No.", False),
        ("Kanske", None),
        ("", None),
    ],
)
def test_yes_and_no_are_read_from_the_first_word(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


def test_the_check_is_short() -> None:
    templates = PromptTemplates.load(PROMPTS_DIR)
    unit = "Sverige bör verka för fortsatt utökat samarbete mellan Nato och EU. " * 3
    content = answerable_messages(templates, QUESTION, unit)[0]["content"]
    # ~2.5 characters per token in Swedish for Qwen's tokenizer: well under 150 tokens.
    assert len(content) < 360 and QUESTION in content and "ja eller nej" in content


def test_a_no_refuses_without_asking_for_an_answer(make_client: Any) -> None:
    with fake_llm(answer("Nej"), grounded()) as fake:
        client = make_client(fake.url, **ALWAYS)
        body = client.post("/ask", json={"question": QUESTION, "backend": "openai"}).json()
    assert body["refused"] and body["answer"] == "Det framgår inte av dokumenten."
    assert len(fake.requests) == 1
    check = fake.requests[0].body
    assert check["max_tokens"] == 2 and "ja eller nej" in check["messages"][-1]["content"]


def test_a_yes_lets_the_model_answer(make_client: Any) -> None:
    with fake_llm(answer("Ja"), grounded()) as fake:
        client = make_client(fake.url, **ALWAYS)
        body = client.post("/ask", json={"question": QUESTION, "backend": "openai"}).json()
    assert not body["refused"] and not body["degraded"]
    assert len(fake.requests) == 2


def test_a_failed_check_keeps_the_gates_decision(make_client: Any) -> None:
    with fake_llm(status(500), grounded()) as fake:
        client = make_client(fake.url, llm_max_attempts=1, **ALWAYS)
        body = client.post("/ask", json={"question": QUESTION, "backend": "openai"}).json()
    assert not body["refused"] and not body["degraded"]


def test_a_clear_case_is_not_checked(make_client: Any) -> None:
    with fake_llm(grounded()) as fake:
        client = make_client(fake.url, llm_doubt_band=0.0)
        body = client.post("/ask", json={"question": QUESTION, "backend": "openai"}).json()
    assert not body["refused"] and len(fake.requests) == 1


def test_a_model_refusing_what_the_evidence_answers_falls_back(make_client: Any) -> None:
    with fake_llm(answer("Det framgår inte av dokumenten.")) as fake:
        client = make_client(fake.url, llm_doubt_band=0.0)
        body = client.post("/ask", json={"question": QUESTION, "backend": "openai"}).json()
    assert body["degraded"] and not body["refused"]
    assert body["answer"] != "Det framgår inte av dokumenten." and "[" in body["answer"]
