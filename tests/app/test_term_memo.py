"""Remembered terms are the analyzer's own, and a caller cannot change them for the next."""

from __future__ import annotations

from app.answer.term_memo import memoized_terms
from indexer.swedish import Analyzer

SENTENCES = [
    "Sverige ska verka för ett fritt, öppet och säkert internet.",
    "Cyberangrepp mot samhällsviktig verksamhet ska förebyggas.",
    "NB8 och Nato är viktiga samarbeten.",
]


def test_memoized_terms_equal_the_analyzers_and_are_computed_once() -> None:
    analyzer = Analyzer.for_corpus(SENTENCES, compound_splitting=True)
    calls: list[str] = []

    def recording(text: str) -> list[str]:
        calls.append(text)
        return analyzer.terms(text)

    terms = memoized_terms(recording, size=2)
    for text in SENTENCES[:2] * 3:
        assert terms(text) == analyzer.terms(text)
    assert calls == SENTENCES[:2]
    terms(SENTENCES[2])  # past the bound: the least recently used is forgotten
    terms(SENTENCES[0])
    assert calls == [*SENTENCES, SENTENCES[0]]


def test_a_caller_changing_its_list_changes_no_one_elses() -> None:
    analyzer = Analyzer.for_corpus(SENTENCES, compound_splitting=True)
    terms = memoized_terms(analyzer.terms)
    first = terms(SENTENCES[1])
    first.append("påhittad")
    assert terms(SENTENCES[1]) == analyzer.terms(SENTENCES[1])
