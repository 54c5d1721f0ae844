"""What a question asks for: focus, constraints, its document, its parts, its answer type."""

from __future__ import annotations

import pytest

from app.answer.answer_type import expected_answer_type, has_counted_number, satisfies
from app.answer.question_analysis import analyse, mentions, named_document
from app.answer.question_parts import QuestionPart, split_question
from app.backends.places import Gazetteer

DOCUMENTS = {
    "strategi": ("strategin", "strategins", "strategy"),
    "pressmeddelande": ("pressmeddelandet", "press release", "dialogen", "mötet"),
}
PLACES = Gazetteer()


def test_focus_is_the_word_after_the_question_word_unless_it_says_nothing() -> None:
    assert analyse("Vilka fokusområden har strategin för handel?").focus == ("fokusområden",)
    assert analyse("Vad omfattar EU:s verktygslåda?").focus == ("omfattar",)
    assert analyse("Vilka delar av utrikespolitiken berörs?").focus == ()  # "delar"
    assert analyse("Vad är NB8?").focus == ()  # a light verb


def test_constraints_are_nationalities_roles_and_years() -> None:
    needs = analyse("Vem ledde den amerikanska delegationen 2024?")
    assert needs.constraints == ("amerikansk",) and needs.years == ("2024",)
    assert analyse("Vilket land är för närvarande ordförande i FOC?").constraints == ("ordförande",)
    assert analyse("Vilken plattform är enligt förordet viktigast?").constraints == ()
    assert mentions("I den amerikanska delegationen ingick …", "amerikansk")
    assert not mentions("I den svenska delegationen ingick …", "amerikansk")
    # The documents are Swedish: an English question's nationality is met in Swedish.
    assert analyse("Which ministries were in the Swedish delegation?").constraints == ("svensk",)


def test_a_document_is_named_where_the_answer_is_placed_in_it() -> None:
    assert named_document("Vem citeras i pressmeddelandet?", DOCUMENTS) == "pressmeddelande"
    assert named_document("Vad sades vid dialogen om 5G?", DOCUMENTS) == "pressmeddelande"
    assert named_document("Hur ska internet styras enligt strategin?", DOCUMENTS) == "strategi"
    assert named_document("Strategin vill mycket. Vad säger den?", DOCUMENTS) is None
    both = "Vad står i strategin och i pressmeddelandet om 6G?"
    assert named_document(both, DOCUMENTS) is None


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "Hur nämns 6G i strategin respektive i pressmeddelandet?",
            [
                QuestionPart("Hur nämns 6G i strategin?", "strategi"),
                QuestionPart("Hur nämns 6G i pressmeddelandet?", "pressmeddelande"),
            ],
        ),
        (
            "Vem undertecknade strategin och vem citeras i pressmeddelandet?",
            [
                QuestionPart("Vem undertecknade strategin?", "strategi"),
                QuestionPart("Vem citeras i pressmeddelandet?", "pressmeddelande"),
            ],
        ),
        (
            "Vad säger strategin om 5G och vad sades om 5G vid dialogen med USA?",
            [
                QuestionPart("Vad säger strategin om 5G?", "strategi"),
                QuestionPart("Vad sades om 5G vid dialogen med USA?", "pressmeddelande"),
            ],
        ),
        (
            "Hur ser man på Nato enligt de två dokumenten?",
            [
                QuestionPart("Hur ser man på Nato enligt strategin?", "strategi"),
                QuestionPart("Hur ser man på Nato enligt pressmeddelandet?", "pressmeddelande"),
            ],
        ),
        # Two questions about one document keep their shared evidence: "det" needs the first.
        (
            "Vad har enligt strategin inletts när det gäller AI, och vad jämförs det med?",
            [
                QuestionPart(
                    "Vad har enligt strategin inletts när det gäller AI, och vad jämförs det med?",
                    "strategi",
                )
            ],
        ),
        ("Vilka hot nämns?", [QuestionPart("Vilka hot nämns?", None)]),
        # Two questions about one document that each stand alone are two parts: the one the
        # documents do not answer is said so, the other answered.
        (
            "I vilken stad hölls dialogen, och vilka departement ingick i delegationen?",
            [
                QuestionPart("I vilken stad hölls dialogen?", "pressmeddelande"),
                QuestionPart("Vilka departement ingick i delegationen?", None),
            ],
        ),
        # "den" before an adjective is an article, not a pointer back; a dash joins too.
        (
            "Vilket nätverk nämns – och vem ledde den svenska delegationen?",
            [
                QuestionPart("Vilket nätverk nämns?", None),
                QuestionPart("Vem ledde den svenska delegationen?", None),
            ],
        ),
    ],
)
def test_questions_are_split_into_their_parts(question: str, parts: list[QuestionPart]) -> None:
    assert split_question(question, DOCUMENTS) == parts


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("När skapades sanktionsregimen?", "time"),
        ("Och när hölls mötet?", "time"),
        ("Vad är viktigt när det gäller val?", None),
        ("I vilken stad ägde mötet rum?", "city"),
        ("Vilket statsråd ansvarar för cyberförsvaret inom Nato?", "person"),
        ("Which minister signed the foreword?", "person"),
        ("Vilka personer utsätts för övervakning enligt strategin?", None),
        ("Var hölls dialogen?", "place"),
        ("Var eftersträvar Sverige ambitiösa regler?", None),
        ("Vem citeras i pressmeddelandet?", "person"),
        ("Vem undertecknade förordet?", "person"),
        ("Vem står för majoriteten av medlen?", None),
        ("Vilket land är ordförande?", "name"),
        ("Hur många stater ingår?", "number"),
    ],
)
def test_answer_types(question: str, expected: str | None) -> None:
    assert expected_answer_type(question) == expected


def test_a_city_is_a_gazetteer_city_after_a_preposition_of_place() -> None:
    question = "I vilken stad hölls dialogen?"
    assert satisfies("city", "Dialogen hölls i Washington i maj.", question, places=PLACES)
    assert satisfies("city", "Mötet ägde rum i Bryssel.", question, places=PLACES)
    # A capitalised word is not a city; a country is not a city; a name is not a place.
    assert not satisfies("city", "Dialogen leddes av Andrés Jato.", question, places=PLACES)
    assert not satisfies("city", "Samarbetet i Sverige fördjupas.", question, places=PLACES)
    assert not satisfies("city", "Hot från Ryssland, Iran och Kina.", question, places=PLACES)


def test_a_place_may_be_a_country_named_as_where() -> None:
    question = "Var hölls mötet?"
    # GeoNames knows countries by their English names ("Chile", not "Sydkorea").
    assert satisfies("place", "Mötet hölls i Chile.", question, places=PLACES)
    assert not satisfies("place", "Hot från Ryssland, Iran och Kina.", question, places=PLACES)


def test_a_person_is_a_name_next_to_a_role_or_a_speech_verb() -> None:
    question = "Vem citeras i pressmeddelandet?"
    assert satisfies(
        "person", "– Det är viktigt, säger utrikesminister Tobias Billström.", question
    )
    assert satisfies(
        "person", "Sverige starkare. Maria Malmer Stenergard, Utrikesminister", question
    )
    assert not satisfies("person", "Delegationen leddes av Utrikesdepartementet.", question)
    assert not satisfies("person", "Freedom Online Coalition har 40 medlemmar.", question)


def test_a_time_is_a_year_a_date_or_a_month() -> None:
    question = "När skapades sanktionsregimen?"
    assert satisfies("time", "Sedan sanktionsregimen skapades 2019 har …", question)
    assert satisfies("time", "Dialogen hölls den 4 maj.", question)
    assert not satisfies("time", "Sanktionsregimen skapades för att avskräcka.", question)


def test_a_count_of_members_matches_across_words_for_members() -> None:
    sentence = "Freedom Online Coalition består av omkring 40 medlemsländer."
    assert has_counted_number(sentence, "Hur många stater ingår i Freedom Online Coalition?")
    assert has_counted_number(sentence, "How many countries are members?")
    assert not has_counted_number(sentence, "Hur många anställda har koalitionen?")


@pytest.mark.parametrize(
    "question",
    [
        "När hölls dialogen och vem ledde den?",
        "Vilken teknik lyfts fram, och vad har den betydelse för?",
        "Vilka länder nämns, och vilka av dem är med i EU?",
        "Vilken befattning har Andrés Jato, och vad menar han att delegationen visar?",
        "Vilka hot nämns, och vad ska Sverige göra åt dem?",
        "Vilken förhandsbedömning önskar Sverige av nya EU-regler, och varför?",
        "Vilka länder och vilka organisationer samarbetar Sverige med?",
    ],
)
def test_a_second_question_that_needs_the_first_keeps_them_together(question: str) -> None:
    assert split_question(question, DOCUMENTS) == [QuestionPart(question, None)]
