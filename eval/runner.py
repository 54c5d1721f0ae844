"""Runs the question set against a target and collects the scored results."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tqdm import tqdm

from app.domain import Turn
from eval.gold import relevant_count
from eval.question_set import QuestionItem
from eval.scoring import (
    AnswerScore,
    RetrievalScore,
    aggregate_answers,
    aggregate_retrieval,
    score_answer,
    score_retrieval,
)
from eval.targets import Target

SEARCH_K = 10
ASK_K = 5


def turns(item: QuestionItem) -> list[Turn]:
    return [Turn(t.role, t.content) for t in item.history]


def stratified(items: Sequence[QuestionItem], limit: int | None) -> list[QuestionItem]:
    """The first `limit` items taken round-robin over question types (all when None)."""
    if limit is None or limit >= len(items):
        return list(items)
    by_type: dict[str, list[QuestionItem]] = defaultdict(list)
    for item in items:
        by_type[item.type].append(item)
    queues = list(by_type.values())
    chosen: list[QuestionItem] = []
    while len(chosen) < limit:
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    order = {item.id: i for i, item in enumerate(items)}
    return sorted(chosen, key=lambda item: order[item.id])


async def run_eval(
    target: Target, items: Sequence[QuestionItem], backends: Sequence[str], progress: bool = True
) -> dict[str, Any]:
    """Retrieval for every available configuration, then answers per backend, one loop."""
    answerable = [item for item in items if item.answerable]
    corpus = await target.corpus()
    n_relevant = {item.id: relevant_count(item.evidence, corpus) for item in answerable}
    total = len(answerable) * len(target.modes) + len(items) * len(backends)
    bar = tqdm(total=total, disable=not progress, unit="q", dynamic_ncols=True)
    retrieval: dict[str, list[RetrievalScore]] = {}
    for mode in target.modes:
        bar.set_description(f"search {mode}")
        scores = []
        for item in answerable:
            started = time.perf_counter()
            # A follow-up goes with its history: the service makes it standalone, as in /ask.
            hits = await target.search(item.question, SEARCH_K, mode, turns(item))
            latency = (time.perf_counter() - started) * 1000
            scores.append(score_retrieval(item, hits, n_relevant[item.id], latency))
            bar.update()
        retrieval[mode] = scores
    answers: dict[str, list[AnswerScore]] = {}
    for backend in backends:
        bar.set_description(f"ask {backend}")
        scored = []
        for item in items:
            outcome = await target.ask(item.question, ASK_K, turns(item), backend)
            scored.append(score_answer(item, outcome))
            bar.update()
        answers[backend] = scored
    bar.close()
    return {
        "meta": {
            **await target.info(),
            "questions": len(items),
            "answerable": len(answerable),
            "modes": list(target.modes),
            "unavailable": dict(target.unavailable),
            "evaluated_backends": list(backends),
            "search_k": SEARCH_K,
            "ask_k": ASK_K,
            "unmatched_gold": sorted(i for i, n in n_relevant.items() if n == 0),
        },
        "retrieval": {mode: aggregate_retrieval(s) for mode, s in retrieval.items()},
        "answers": {backend: aggregate_answers(s) for backend, s in answers.items()},
        "questions": per_question(items, retrieval, answers),
    }


def per_question(
    items: Sequence[QuestionItem],
    retrieval: dict[str, list[RetrievalScore]],
    answers: dict[str, list[AnswerScore]],
) -> list[dict[str, Any]]:
    """One row per item: first relevant rank per mode, the outcome per backend."""
    ranks = {mode: {s.item_id: s for s in scores} for mode, scores in retrieval.items()}
    outcomes = {b: {s.item_id: s for s in scores} for b, scores in answers.items()}
    rows = []
    for item in items:
        row: dict[str, Any] = {"id": item.id, "type": item.type}
        row["search_ms"] = {
            mode: by_id[item.id].latency_ms for mode, by_id in ranks.items() if item.id in by_id
        }
        row["first_relevant_rank"] = {
            mode: by_id[item.id].first_relevant_rank
            for mode, by_id in ranks.items()
            if item.id in by_id
        }
        row["answers"] = {
            backend: {
                "refused": s.refused,
                "key_term_coverage": s.key_term_coverage,
                "citation_precision": s.citation_precision,
                "citation_recall": s.citation_recall,
                "unsupported": s.unsupported,
                "total_ms": s.timings_ms.get("total"),
            }
            for backend, by_id in outcomes.items()
            if (s := by_id.get(item.id)) is not None
        }
        rows.append(row)
    return rows
