"""How well retrieved passages cover a question; decides refusal (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from indexer.language import Language


@dataclass(frozen=True)
class RefusalThresholds:
    min_coverage: float
    min_similarity: float


@dataclass(frozen=True)
class EvidenceAssessment:
    coverage: float
    similarity: float
    answerable: bool


class QuestionTerms:
    """A question's terms weighted by IDF, once: the composer measures the coverage of the
    same question in every candidate unit.

    A term the corpus never uses weighs as much as the rarest known term (`ceiling`, the
    highest IDF, computed when not given): a question about "budget" in a corpus without
    that word is not covered by anything.
    """

    def __init__(
        self,
        question_terms: Sequence[str],
        idf: Mapping[str, float],
        ceiling: float | None = None,
    ) -> None:
        if ceiling is None:
            ceiling = max(idf.values(), default=1.0)
        self._weights = {t: idf.get(t, ceiling) for t in set(question_terms)}
        self._total = sum(self._weights.values())

    def coverage(self, evidence_terms: set[str]) -> float:
        """IDF-weighted share of the question's terms found in the evidence."""
        if not self._total:
            return 0.0
        forms = EvidenceForms(evidence_terms)
        covered = sum(weight for t, weight in self._weights.items() if forms.covers(t))
        return covered / self._total


def term_coverage(
    question_terms: Sequence[str],
    evidence_terms: set[str],
    idf: Mapping[str, float],
    ceiling: float | None = None,
) -> float:
    """IDF-weighted share of the question's terms found in the evidence (`QuestionTerms`)."""
    return QuestionTerms(question_terms, idf, ceiling).coverage(evidence_terms)


MIN_SHARED_PREFIX = 5


class EvidenceForms:
    """The evidence's terms, asked whether they cover a term (see `covers`).

    The composer asks this for every question term of every candidate unit; a scan of the
    evidence per term was most of an extractive answer's time. Both directions are lookups
    instead: a longer evidence form is a substring search in the terms joined once, a
    shorter one a set lookup per prefix of the term.
    """

    def __init__(self, evidence_terms: set[str]) -> None:
        self._terms = evidence_terms
        self._joined: str | None = None

    def covers(self, term: str) -> bool:
        if term in self._terms:
            return True
        if len(term) < MIN_SHARED_PREFIX:
            return False
        if self._joined is None:
            # Terms are words: a newline never occurs inside one.
            self._joined = "\n" + "\n".join(self._terms)
        if "\n" + term in self._joined:
            return True
        return any(term[:end] in self._terms for end in range(MIN_SHARED_PREFIX, len(term)))


def covers(evidence_terms: set[str], term: str) -> bool:
    """The term, or a form the stemmer left apart ("förordet" ~ "förord"): one is the other
    with an ending, sharing at least five letters."""
    return EvidenceForms(evidence_terms).covers(term)


def assess(
    coverage: float, similarity: float, language: Language, thresholds: RefusalThresholds
) -> EvidenceAssessment:
    # An English question shares no words with Swedish text; only meaning can judge it.
    lexical_ok = language == "en" or coverage >= thresholds.min_coverage
    answerable = lexical_ok and similarity >= thresholds.min_similarity
    return EvidenceAssessment(coverage, similarity, answerable)
