"""Per-question scores and their aggregation into the report's figures (pure).

A target (in-process or HTTP) answers; this module scores: one `RetrievalScore` per
question and retrieval configuration, one `AnswerScore` per question and backend.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from eval.gold import Hit, covered_quotes
from eval.question_set import QuestionItem
from eval.ranking import (
    citation_precision,
    citation_recall,
    evidence_recall_at_k,
    hit_at_k,
    key_term_coverage,
    latency_summary,
    mean,
    ndcg_at_k,
    reciprocal_rank,
)

KS = (1, 5, 10)
CURVE_KS = tuple(range(1, 11))
STAGES = ("rewrite", "retrieval", "generation", "total", "wall")
RETRIEVAL_METRICS = (
    *(f"recall@{k}" for k in KS),
    *(f"hit@{k}" for k in KS),
    "mrr@10",
    "ndcg@10",
)
ANSWER_METRICS = (
    "refusal_accuracy",
    "false_refusal_rate",
    "key_term_coverage",
    "citation_precision",
    "citation_recall",
    "unsupported_sentence_share",
    "degraded_rate",
)


@dataclass(frozen=True)
class AskOutcome:
    """What a target's /ask returned, in the terms the scores need."""

    answer: str
    refused: bool
    cited: tuple[Hit, ...]
    sentences: int
    unsupported: int
    degraded: bool
    timings_ms: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RetrievalScore:
    item_id: str
    type: str
    metrics: Mapping[str, float]
    curve: tuple[float, ...]
    first_relevant_rank: int | None
    latency_ms: float


@dataclass(frozen=True)
class AnswerScore:
    item_id: str
    type: str
    answerable: bool
    refused: bool
    degraded: bool
    key_term_coverage: float | None
    citation_precision: float | None
    citation_recall: float | None
    sentences: int
    unsupported: int
    timings_ms: Mapping[str, float]


def score_retrieval(
    item: QuestionItem, hits: Sequence[Hit], n_relevant: int, latency_ms: float
) -> RetrievalScore:
    """Scores an answerable item's ranked hits; `n_relevant` counts relevant chunks overall."""
    covered = [covered_quotes(item.evidence, hit) for hit in hits]
    relevant = [bool(c) for c in covered]
    n_quotes = len(item.evidence)
    metrics: dict[str, float] = {}
    for k in KS:
        metrics[f"recall@{k}"] = evidence_recall_at_k(covered, n_quotes, k)
        metrics[f"hit@{k}"] = hit_at_k(relevant, k)
    metrics["mrr@10"] = reciprocal_rank(relevant, 10)
    metrics["ndcg@10"] = ndcg_at_k(relevant, n_relevant, 10)
    curve = tuple(evidence_recall_at_k(covered, n_quotes, k) for k in CURVE_KS)
    first = next((rank for rank, r in enumerate(relevant, 1) if r), None)
    return RetrievalScore(item.id, item.type, metrics, curve, first, latency_ms)


def score_answer(item: QuestionItem, outcome: AskOutcome) -> AnswerScore:
    answerable = item.answerable
    cited_covered = [covered_quotes(item.evidence, hit) for hit in outcome.cited]
    return AnswerScore(
        item_id=item.id,
        type=item.type,
        answerable=answerable,
        refused=outcome.refused,
        degraded=outcome.degraded,
        key_term_coverage=key_term_coverage(outcome.answer, item.key_terms) if answerable else None,
        citation_precision=citation_precision([bool(c) for c in cited_covered])
        if answerable
        else None,
        citation_recall=citation_recall(cited_covered, len(item.evidence)) if answerable else None,
        sentences=0 if outcome.refused else outcome.sentences,
        unsupported=0 if outcome.refused else outcome.unsupported,
        timings_ms=dict(outcome.timings_ms),
    )


def aggregate_retrieval(scores: Sequence[RetrievalScore]) -> dict[str, object]:
    """Means over all questions, per question type, the recall curve and search latency."""
    by_type: dict[str, list[RetrievalScore]] = defaultdict(list)
    for score in scores:
        by_type[score.type].append(score)

    def means(group: Sequence[RetrievalScore]) -> dict[str, float]:
        return {
            name: sum(s.metrics[name] for s in group) / len(group) for name in RETRIEVAL_METRICS
        }

    return {
        "n": len(scores),
        "all": means(scores) if scores else {},
        "by_type": {t: means(group) for t, group in sorted(by_type.items())},
        "curve": [sum(s.curve[i] for s in scores) / len(scores) for i in range(len(CURVE_KS))]
        if scores
        else [],
        "latency_ms": latency_summary([s.latency_ms for s in scores]),
    }


def _rate(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def aggregate_answers(scores: Sequence[AnswerScore]) -> dict[str, object]:
    """Refusal, key terms, citations (answerable items), unsupported share and latencies."""
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    sentences = sum(s.sentences for s in scores)
    metrics = {
        "refusal_accuracy": _rate([s.refused for s in unanswerable]),
        "false_refusal_rate": _rate([s.refused for s in answerable]),
        "key_term_coverage": mean(s.key_term_coverage for s in answerable),
        "citation_precision": mean(s.citation_precision for s in answerable),
        "citation_recall": mean(s.citation_recall for s in answerable),
        "unsupported_sentence_share": sum(s.unsupported for s in scores) / sentences
        if sentences
        else None,
        "degraded_rate": _rate([s.degraded for s in scores]),
    }
    latency = {
        stage: latency_summary([s.timings_ms[stage] for s in scores if stage in s.timings_ms])
        for stage in STAGES
    }
    return {
        "n": len(scores),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "metrics": metrics,
        "latency_ms": {stage: summary for stage, summary in latency.items() if summary},
    }
