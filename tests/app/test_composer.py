"""Sentence selection and refusal on hand-made vectors: no model needed."""

from __future__ import annotations

import numpy as np

from app.answer.composer import CandidateSentence, ComposerSettings, Lexicon, compose_answer
from app.answer.evidence import RefusalThresholds, assess, term_coverage
from indexer.swedish import Analyzer

ANALYZER = Analyzer()
THRESHOLDS = RefusalThresholds(min_coverage=0.5, min_similarity=0.5)
QUESTION = np.array([1.0, 0.0, 0.0], dtype=np.float32)


def _vector(similarity: float) -> np.ndarray:
    return np.array([similarity, np.sqrt(1 - similarity**2), 0.0], dtype=np.float32)


def _sentence(ref: int, rank: int, offset: int, text: str, similarity: float) -> CandidateSentence:
    return CandidateSentence(
        ref, rank, 0, offset, text, _vector(similarity), doc_id="strategi", index=offset
    )


def _compose(question: str, candidates: list[CandidateSentence], **settings: float) -> object:
    return compose_answer(
        question,
        QUESTION,
        ANALYZER.terms(question),
        "sv",
        candidates,
        Lexicon(ANALYZER.terms, {"osse": 2.0, "antag": 1.5, "åtgärd": 1.0, "nato": 2.0}),
        THRESHOLDS,
        ComposerSettings(**settings),  # type: ignore[arg-type]
    )


def test_best_sentences_are_cited_in_reading_order() -> None:
    answer = _compose(
        "Vilka åtgärder har OSSE antagit?",
        [
            _sentence(1, 0, 500, "OSSE har antagit 16 åtgärder.", 0.95),
            _sentence(1, 0, 100, "OSSE har antagit åtgärder tidigt.", 0.93),
            _sentence(2, 1, 50, "Nato har ett växande fokus.", 0.40),
        ],
        duplicate_overlap=1.0,
    )
    assert answer.refused is False  # type: ignore[attr-defined]
    assert answer.text == (
        "OSSE har antagit åtgärder tidigt. [1] OSSE har antagit 16 åtgärder. [1]"
    )  # type: ignore[attr-defined]
    assert answer.cited_refs == (1,)  # type: ignore[attr-defined]


def test_near_duplicates_are_left_out() -> None:
    answer = _compose(
        "Vilka åtgärder har OSSE antagit?",
        [
            _sentence(1, 0, 10, "OSSE har antagit 16 åtgärder.", 0.95),
            _sentence(2, 1, 10, "OSSE har antagit 16 åtgärder på cyberområdet.", 0.94),
        ],
    )
    assert answer.text.count("[") == 1  # type: ignore[attr-defined]


def test_max_sentences_is_respected() -> None:
    candidates = [_sentence(1, 0, i, f"OSSE åtgärd nummer {i} antogs.", 0.9) for i in range(6)]
    answer = _compose("OSSE åtgärder antagit", candidates, max_sentences=2, duplicate_overlap=1.0)
    assert answer.text.count("[1]") == 2  # type: ignore[attr-defined]


def test_refuses_when_question_terms_are_missing() -> None:
    answer = _compose(
        "Hur stor är budgeten för OSSE?",
        [_sentence(1, 0, 0, "Nato har ett växande fokus.", 0.9)],
    )
    assert answer.refused is True  # type: ignore[attr-defined]
    assert answer.text == "Det framgår inte av dokumenten."  # type: ignore[attr-defined]
    assert answer.cited_refs == ()  # type: ignore[attr-defined]


def test_refuses_when_meaning_is_far() -> None:
    answer = _compose("OSSE åtgärder", [_sentence(1, 0, 0, "OSSE har antagit åtgärder.", 0.2)])
    assert answer.refused is True  # type: ignore[attr-defined]


def test_english_refusal_text_and_no_lexical_gate() -> None:
    refused = assess(0.0, 0.1, "en", THRESHOLDS)
    accepted = assess(0.0, 0.9, "en", THRESHOLDS)
    assert not refused.answerable and accepted.answerable


def test_term_coverage_weights_unknown_terms_as_rarest() -> None:
    idf = {"osse": 2.0, "nato": 1.0}
    assert term_coverage(["osse", "nato"], {"osse", "nato"}, idf) == 1.0
    assert term_coverage(["osse", "budget"], {"osse"}, idf) == 0.5
    assert term_coverage([], {"osse"}, idf) == 0.0


def test_only_the_top_passages_are_used() -> None:
    answer = _compose(
        "OSSE åtgärder antagit",
        [_sentence(4, 3, 0, "OSSE har antagit åtgärder.", 0.99)],
        passages=3,
    )
    assert answer.refused is True  # type: ignore[attr-defined]
