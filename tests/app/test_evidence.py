"""The evidence terms' lookups give what a scan of every evidence term gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.answer.evidence import MIN_SHARED_PREFIX, QuestionTerms, covers, term_coverage

# Few letters, so that prefixes and extensions of one another are common.
WORDS = st.text(alphabet="abäö", min_size=1, max_size=9)


def scanned(evidence_terms: set[str], term: str) -> bool:
    """The definition, as a scan: the term, or one is the other with an ending, sharing at
    least five letters."""
    return term in evidence_terms or (
        len(term) >= MIN_SHARED_PREFIX
        and any(
            len(e) >= MIN_SHARED_PREFIX and (e.startswith(term) or term.startswith(e))
            for e in evidence_terms
        )
    )


@st.composite
def evidence_and_term(draw: st.DrawFn) -> tuple[set[str], str]:
    """A term, and evidence that often holds a shorter or a longer form of it."""
    term = draw(WORDS)
    evidence = draw(st.sets(WORDS, max_size=8))
    cuts = draw(st.lists(st.integers(1, len(term)), max_size=2))
    endings = draw(st.lists(WORDS, max_size=2))
    return evidence | {term[:cut] for cut in cuts} | {term + e for e in endings}, term


@settings(max_examples=500, deadline=None)
@given(evidence_and_term())
def test_covers_agrees_with_a_scan_of_the_evidence(case: tuple[set[str], str]) -> None:
    evidence, term = case
    assert covers(evidence, term) is scanned(evidence, term)


def test_covers_finds_longer_and_shorter_forms() -> None:
    assert covers({"förordet"}, "förord")
    assert covers({"förord"}, "förordet")
    assert covers({"förordet", "x"}, "förordets")
    assert not covers({"förd"}, "förordet")  # four letters shared: too few
    assert not covers({"nato"}, "natos")  # the shorter form has four letters


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, max_size=6), st.sets(WORDS, max_size=12))
def test_one_question_weighted_once_gives_each_evidences_coverage(
    question: list[str], evidence: set[str]
) -> None:
    idf = {"abba": 2.0, "äöäöä": 3.5, "b": 0.5}
    ceiling = max(idf.values())
    weights = {t: idf.get(t, ceiling) for t in set(question)}
    total = sum(weights.values())
    expected = sum(w for t, w in weights.items() if scanned(evidence, t)) / total if total else 0.0
    assert QuestionTerms(question, idf).coverage(evidence) == expected
    assert QuestionTerms(question, idf, ceiling).coverage(evidence) == expected
    assert term_coverage(question, evidence, idf) == expected
