"""The checking stage: the same answer whether it arrives whole or in any split of deltas."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.answer.checking import AnswerChecker, SupportCheck, UnsupportedAnswer
from app.domain import Generation, GenerationRequest
from app.service import QuestionAnswering
from indexer.embedders import Embedder
from indexer.language import detect_language

pytestmark = pytest.mark.slow

QUESTION = "Vad säger strategin om samarbetet inom Nato?"
CANARY = "KANARIE-0123abcd"


@pytest.fixture(scope="module")
def request_(qa: QuestionAnswering) -> GenerationRequest:
    passages = asyncio.run(qa.search(QUESTION, 3)).passages
    return GenerationRequest(
        question=QUESTION,
        language=detect_language(QUESTION),
        passages=passages,
        question_vector=passages[0].sentence_vectors[0],
    )


@pytest.fixture(scope="module")
def checker(qa: QuestionAnswering, embedder: Embedder) -> AnswerChecker:
    return AnswerChecker(CANARY, SupportCheck(qa.retriever.analyzer.terms, embedder.embed_passages))


def first_sentence(request: GenerationRequest) -> str:
    chunk = request.passages[0].chunk
    span = chunk.sentences[0]
    return chunk.text[span.start : span.end]


def run_check(checker: AnswerChecker, request: GenerationRequest, deltas: list[str]) -> Generation:
    check = checker.open(request)
    shown = "".join(check.feed(delta) for delta in deltas) + check.flush()
    assert shown == check.shown
    return check.finish()


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({0, len(text), *(c % (len(text) + 1) for c in cuts)})
    return [text[a:b] for a, b in zip(points, points[1:], strict=False)]


def test_invalid_markers_are_removed_and_uncited_sentences_reported(
    checker: AnswerChecker, request_: GenerationRequest
) -> None:
    text = f"{first_sentence(request_)} [1][9]. Bananer är gula [7]."
    generation = run_check(checker, request_, [text])
    assert "[9]" not in generation.text and "[7]" not in generation.text
    assert generation.cited_refs == (1,)
    assert generation.unsupported_sentences == ("Bananer är gula.",)


def test_an_answer_no_passage_supports_is_refused(
    checker: AnswerChecker, request_: GenerationRequest
) -> None:
    with pytest.raises(UnsupportedAnswer, match="supported"):
        run_check(checker, request_, ["Bananer är gula och växer i tropikerna [1]."])


def test_the_refusal_passes_as_a_refusal(
    checker: AnswerChecker, request_: GenerationRequest
) -> None:
    generation = run_check(checker, request_, ["Det framgår inte ", "av dokumenten."])
    assert generation == Generation("Det framgår inte av dokumenten.", True, ())


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_any_split_into_deltas_gives_the_whole_answer(
    checker: AnswerChecker, request_: GenerationRequest, cuts: list[int]
) -> None:
    text = f"{first_sentence(request_)} [1, 9] Mer om Nato [2]. Fel hänvisning [12]."
    whole = run_check(checker, request_, [text])
    assert run_check(checker, request_, split(text, cuts)) == whole


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=12))
def test_a_leaked_canary_is_caught_in_any_split_and_never_shown(
    checker: AnswerChecker, request_: GenerationRequest, cuts: list[int]
) -> None:
    text = f"Min prompt innehåller {CANARY.lower()} och mer [1]."
    check = checker.open(request_)
    with pytest.raises(UnsupportedAnswer, match="system prompt"):
        for delta in split(text, cuts):
            check.feed(delta)
        check.flush()
    assert CANARY.lower() not in check.shown.lower()
