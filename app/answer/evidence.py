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


def term_coverage(
    question_terms: Sequence[str], evidence_terms: set[str], idf: Mapping[str, float]
) -> float:
    """IDF-weighted share of the question's terms found in the evidence.

    A term the corpus never uses weighs as much as the rarest known term: a question
    about "budget" in a corpus without that word is not covered by anything.
    """
    unique = set(question_terms)
    if not unique:
        return 0.0
    ceiling = max(idf.values(), default=1.0)
    total = sum(idf.get(t, ceiling) for t in unique)
    covered = sum(idf.get(t, ceiling) for t in unique if covers(evidence_terms, t))
    return covered / total if total else 0.0


MIN_SHARED_PREFIX = 5


def covers(evidence_terms: set[str], term: str) -> bool:
    """The term, or a form the stemmer left apart ("förordet" ~ "förord"): one is the other
    with an ending, sharing at least five letters."""
    if term in evidence_terms:
        return True
    if len(term) < MIN_SHARED_PREFIX:
        return False
    return any(
        len(e) >= MIN_SHARED_PREFIX and (e.startswith(term) or term.startswith(e))
        for e in evidence_terms
    )


def assess(
    coverage: float, similarity: float, language: Language, thresholds: RefusalThresholds
) -> EvidenceAssessment:
    # An English question shares no words with Swedish text; only meaning can judge it.
    lexical_ok = language == "en" or coverage >= thresholds.min_coverage
    answerable = lexical_ok and similarity >= thresholds.min_similarity
    return EvidenceAssessment(coverage, similarity, answerable)
