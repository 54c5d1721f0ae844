"""Answer-type rules that decide extractive refusals (app/answer/answer_type.py), on
sentences from the corpus and questions written for these tests: pure, no model."""

from __future__ import annotations

import pytest

from app.answer.answer_type import (
    counted_words,
    expected_answer_type,
    has_counted_number,
    new_names,
    satisfies,
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Vilket land ska Sverige stödja?", "name"),
        ("Vilken svensk myndighet ansvarar för tillsynen?", "name"),
        ("Vilka åtta länder ingår i samarbetet?", "name"),
        ("I vilken stad hölls mötet?", "city"),
        ("Which country chairs the coalition?", "name"),
        ("Vilken roll har EU?", None),
        ("Vem har skrivit förordet?", None),  # a person, an office or "den privata sektorn"
        ("Vad kostar deltagandet?", "number"),
        ("How many euros are spent?", "number"),
        ("Vilket år bildades gruppen?", "year"),
    ],
)
def test_expected_answer_type(question: str, expected: str | None) -> None:
    assert expected_answer_type(question) == expected


def test_names_exclude_the_first_word_the_question_and_common_names() -> None:
    sentence = "Ett exempel är koalitionen med USA, Sveriges grannar och Chile."
    assert new_names(sentence, "Vilket land ingår?") == ["USA", "Sveriges", "Chile"]
    # A genitive of a name the question uses is no answer.
    assert new_names(sentence, "Vilket land utöver Sverige och USA ingår?") == ["Chile"]
    # Hyphenated question words count by their parts: "NB8-samarbetet" names NB8.
    assert (
        new_names(
            "Det gäller NB8 och EU:s ramverk.",
            "Vilka länder ingår i NB8-samarbetet?",
            lambda n: n.startswith("EU"),
        )
        == []
    )


def test_name_answers_need_a_new_name() -> None:
    question = "I vilken stad hölls dialogen mellan Sverige och USA?"
    assert not satisfies("name", "Överenskommelserna mellan Sverige och USA lyftes fram.", question)
    assert satisfies("name", "Dialogen mellan Sverige och USA hölls i Washington.", question)


def test_counted_words_stop_at_the_first_function_word() -> None:
    assert counted_words("Hur stor är den svenska budgeten för cyberdiplomati?") == [
        "svenska",
        "budgeten",
    ]
    assert counted_words("Hur många förtroendeskapande åtgärder har OSSE antagit?") == [
        "förtroendeskapande",
        "åtgärder",
    ]
    assert counted_words("How many euros does Sweden spend?") == ["euros"]
    assert counted_words("Vad heter gruppen?") == []


def test_a_number_must_stand_next_to_what_is_counted() -> None:
    question = "Hur stor är den svenska budgeten för cyberdiplomati år 2025?"
    assert not has_counted_number(
        "Relationerna hanteras i två spår, cyberdiplomati och digital.", question
    )
    assert not has_counted_number("Strategin ska beslutas under 2025.", question)
    assert has_counted_number("Budgeten är 40 miljoner kronor.", question)
    members = "Hur många medlemsländer har koalitionen?"
    assert has_counted_number("Den består av omkring 40 medlemsländer.", members)
    assert not has_counted_number("Den bildades för 13 år sedan av få länder.", members)
    # Names with digits are not amounts.
    assert not has_counted_number("Samarbetet kallas NB8 och 5G.", "Hur många länder ingår?")


def test_a_cost_needs_money() -> None:
    question = "Vad kostar Sveriges deltagande i centret?"
    assert not has_counted_number("Nato har sedan 2008 ett centrum i Tallinn.", question)
    assert has_counted_number("Deltagandet kostar 2 miljoner euro per år.", question)
