"""Extractive answers: the best sentences of the top passages, each with its citation (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.answer.answer_type import expected_answer_type, satisfies
from app.answer.evidence import RefusalThresholds, assess, term_coverage
from app.answer.refusals import REFUSALS
from indexer.language import Language


@dataclass(frozen=True)
class CandidateSentence:
    ref: int
    passage_rank: int
    doc_order: int
    offset: int
    text: str
    vector: np.ndarray
    # The passage's heading path: evidence for coverage, never quoted in the answer.
    context: str = ""


@dataclass(frozen=True)
class ComposerSettings:
    max_sentences: int = 3
    passages: int = 3
    lexical_weight: float = 0.15
    rank_penalty: float = 0.01
    # Sentences within this margin of the best one are good enough to include.
    margin: float = 0.04
    duplicate_overlap: float = 0.6
    # How far below the best sentence an answer of the expected type may be found.
    typed_margin: float = 0.06
    # A name whose terms all have a lower IDF occurs in most passages ("Sverige", "EU"):
    # it is what the documents are about, not an answer to "which country/agency?".
    common_name_idf: float = 0.5


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    refused: bool
    cited_refs: tuple[int, ...]
    sentences: tuple[tuple[str, int], ...]
    coverage: float
    similarity: float


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def compose_answer(
    question: str,
    question_vector: np.ndarray,
    question_terms: Sequence[str],
    language: Language,
    candidates: Sequence[CandidateSentence],
    terms_of: Callable[[str], list[str]],
    idf: Mapping[str, float],
    thresholds: RefusalThresholds,
    settings: ComposerSettings,
) -> ComposedAnswer:
    """Scores sentences against the question and cites each chosen one as `[ref]`."""
    pool = [c for c in candidates if c.passage_rank < settings.passages]
    if not pool:
        return ComposedAnswer(REFUSALS[language], True, (), (), 0.0, 0.0)
    sentence_terms = [set(terms_of(c.text)) for c in pool]
    context_terms = {t for c in {c.context for c in pool} for t in terms_of(c)}
    evidence_terms = set().union(context_terms, *sentence_terms)
    coverage = term_coverage(question_terms, evidence_terms, idf)
    similarities = np.array([float(c.vector @ question_vector) for c in pool])
    assessment = assess(coverage, float(similarities.max()), language, thresholds)
    if not assessment.answerable:
        return ComposedAnswer(REFUSALS[language], True, (), (), coverage, assessment.similarity)
    lexical = np.array(
        [term_coverage(question_terms, terms, idf) for terms in sentence_terms], dtype=np.float64
    )
    ranks = np.array([c.passage_rank for c in pool], dtype=np.float64)
    scores = similarities + settings.lexical_weight * lexical - settings.rank_penalty * ranks
    order = np.argsort(-scores, kind="stable")
    best = scores[order[0]]
    answer_type = expected_answer_type(question)
    if answer_type is not None:

        def is_common(name: str) -> bool:
            terms = terms_of(name)
            return bool(terms) and max(idf.get(t, 0.0) for t in terms) < settings.common_name_idf

        typed = [
            int(i)
            for i in order
            if scores[i] >= best - settings.typed_margin
            and satisfies(answer_type, pool[i].text, question, is_common)
        ]
        if not typed:
            return ComposedAnswer(REFUSALS[language], True, (), (), coverage, assessment.similarity)
        # The sentence that holds the asked-for number, year or name leads the answer.
        order = np.array(typed + [int(i) for i in order if int(i) not in typed])
        best = scores[order[0]]
    chosen: list[int] = []
    for i in order:
        if len(chosen) >= settings.max_sentences or scores[i] < best - settings.margin:
            break
        if any(
            _overlap(sentence_terms[i], sentence_terms[j]) > settings.duplicate_overlap
            for j in chosen
        ):
            continue
        chosen.append(int(i))
    reading = sorted(chosen, key=lambda i: (pool[i].doc_order, pool[i].offset))
    sentences = tuple((pool[i].text, pool[i].ref) for i in reading)
    text = " ".join(f"{sentence} [{ref}]" for sentence, ref in sentences)
    cited = tuple(dict.fromkeys(ref for _, ref in sentences))
    return ComposedAnswer(text, False, cited, sentences, coverage, assessment.similarity)
