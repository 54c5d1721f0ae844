"""Follow-up detection and standalone questions, without an LLM."""

from __future__ import annotations

import pytest

from app.answer.followup import is_follow_up, standalone_question
from app.domain import Turn

FOLLOW_UPS = [
    "Och vad säger den om Nato?",
    "Och vem ledde den?",
    "Vilka hotaktörer nämns som exempel i det sammanhanget?",
    "Varför är det extra angeläget just nu?",
    "Men då?",
    "And what does it say about NATO?",
]
STANDALONE = [
    "Vad säger strategin om det digitala informationsflödet?",
    "Vilka fokusområden har strategin för handel?",
    "Hur många förtroendeskapande åtgärder har OSSE antagit?",
    "Which cyber threats does the Swedish strategy mention?",
]
HISTORY = (
    Turn("user", "Vilka departement fanns med i delegationen?"),
    Turn("assistant", "Utrikesdepartementet och Försvarsdepartementet deltog [1]."),
)


@pytest.mark.parametrize("question", FOLLOW_UPS)
def test_follow_ups_are_detected(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize("question", STANDALONE)
def test_standalone_questions_are_not_follow_ups(question: str) -> None:
    assert not is_follow_up(question)


@pytest.mark.parametrize("question", FOLLOW_UPS + STANDALONE)
def test_without_history_the_question_is_unchanged(question: str) -> None:
    assert standalone_question(question, ()) == question


def test_only_assistant_turns_leave_the_question_unchanged() -> None:
    history = (Turn("assistant", "Hej! Vad vill du veta?"),)
    assert standalone_question("Och vem ledde den?", history) == "Och vem ledde den?"


def test_blank_user_turns_do_not_count() -> None:
    history = (Turn("user", "   "), Turn("assistant", "Fråga gärna."))
    assert standalone_question("Och vem ledde den?", history) == "Och vem ledde den?"


def test_follow_up_gets_previous_question_in_front_without_leading_och() -> None:
    assert (
        standalone_question("Och vem ledde den?", HISTORY)
        == "Vilka departement fanns med i delegationen? Vem ledde den?"
    )


def test_last_user_turn_is_used() -> None:
    history = (
        Turn("user", "Vad säger strategin om handel?"),
        Turn("assistant", "Strategin nämner frihandel [1]."),
        *HISTORY,
    )
    assert standalone_question("Och vem ledde den?", history).startswith(
        "Vilka departement fanns med i delegationen? "
    )


def test_follow_up_without_conjunction_keeps_its_words() -> None:
    question = "Vilka hotaktörer nämns som exempel i det sammanhanget?"
    assert standalone_question(question, HISTORY) == f"{HISTORY[0].content} {question}"


def test_previous_question_without_punctuation_gets_a_full_stop() -> None:
    history = (Turn("user", "  Cyberdialogen med USA  "),)
    assert standalone_question("och vem ledde den?", history) == (
        "Cyberdialogen med USA. Vem ledde den?"
    )


@pytest.mark.parametrize("question", STANDALONE)
def test_standalone_question_ignores_history(question: str) -> None:
    assert standalone_question(question, HISTORY) == question
