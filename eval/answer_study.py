"""Answer quality per part of the questions: what a reader of the answer gets (pure scoring).

The parts: `tune` and `test` (the fixed split of eval/questions.jsonl in eval/split.json) and
`heldout` (eval/heldout.jsonl, questions written as a new user would, never tuned on). Beyond
the report's answer figures this scores what issue 12 asks of an answer: a list question
names every gold item, a two-document question cites both documents, rewordings of one
question get one decision (answered vs refused), and no answer unit is a heading, a
signature or under four words.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.answer.citations import MARKER
from eval.gold import match_key
from eval.question_set import QuestionItem
from eval.ranking import latency_summary, mean
from eval.scoring import AnswerScore, AskOutcome, score_answer

Part = Literal["tune", "test", "heldout"]
PARTS: tuple[Part, ...] = ("tune", "test", "heldout")
MIN_UNIT_WORDS = 4
STUDY_METRICS = (
    "key_term_coverage",
    "list_all_items",
    "two_documents_cited",
    "refusal_accuracy",
    "false_refusal_rate",
    "citation_precision",
    "citation_recall",
    "degenerate_units",
    "degraded_rate",
)


def load_split(path: Path) -> frozenset[str]:
    """The test part's ids (every other id of questions.jsonl is in the tuning part)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    test = data.get("test") if isinstance(data, dict) else None
    if not isinstance(test, list) or not all(isinstance(i, str) for i in test):
        raise ValueError(f"{path}: expected an object with a list of ids under 'test'")
    return frozenset(test)


def part_of(item: QuestionItem, test_ids: Collection[str], heldout_ids: Collection[str]) -> Part:
    if item.id in heldout_ids:
        return "heldout"
    return "test" if item.id in test_ids else "tune"


def answer_units(answer: str) -> list[str]:
    """The answer's cited pieces: the text before each run of `[n]` markers."""
    pieces = MARKER.split(answer)
    # re.split keeps the captured ref groups at odd positions; the text is at even ones.
    units = [re.sub(r"^[\s.,;:]+", "", p).strip() for p in pieces[0::2]]
    return [u for u in units if u]


def degenerate_units(answer: str, headings: Collection[str]) -> list[str]:
    """Units a reader cannot use: a bare heading, a signature line, fewer than 4 words."""
    folded = {h.casefold().strip() for h in headings}
    bad = []
    for unit in answer_units(answer):
        # A lead-in's colon or a list's dash is punctuation, not words.
        words = re.findall(r"[\wåäöéÅÄÖÉ]+", unit)
        if len(words) < MIN_UNIT_WORDS or unit.casefold().strip(" .:") in folded:
            bad.append(unit)
    return bad


@dataclass(frozen=True)
class StudyScore:
    item: QuestionItem
    part: Part
    score: AnswerScore
    answer: str
    cited_docs: tuple[str, ...]
    degenerate: tuple[str, ...]
    first_token_ms: float | None

    @property
    def list_all_items(self) -> bool | None:
        if self.item.type != "list" or not self.item.answerable:
            return None
        return self.score.key_term_coverage == 1.0

    @property
    def two_documents_cited(self) -> bool | None:
        docs = {ev.doc_id for ev in self.item.evidence}
        if self.item.type != "multi_doc" or len(docs) < 2:
            return None
        return docs <= set(self.cited_docs)


def score_study(
    item: QuestionItem,
    part: Part,
    outcome: AskOutcome,
    headings: Collection[str],
    first_token_ms: float | None = None,
) -> StudyScore:
    answered = not outcome.refused
    cited_docs = tuple(dict.fromkeys(hit.doc_id for hit in outcome.cited))
    degenerate = tuple(degenerate_units(outcome.answer, headings)) if answered else ()
    return StudyScore(
        item,
        part,
        score_answer(item, outcome),
        outcome.answer,
        cited_docs,
        degenerate,
        first_token_ms,
    )


def _rate(flags: Sequence[bool | None]) -> tuple[float | None, int]:
    known = [f for f in flags if f is not None]
    return (sum(known) / len(known) if known else None), len(known)


def aggregate(scores: Sequence[StudyScore]) -> dict[str, object]:
    answerable = [s for s in scores if s.item.answerable]
    unanswerable = [s for s in scores if not s.item.answerable]
    lists, n_lists = _rate([s.list_all_items for s in scores])
    both, n_multi = _rate([s.two_documents_cited for s in scores])
    refusal, _ = _rate([s.score.refused for s in unanswerable])
    false_refusal, _ = _rate([s.score.refused for s in answerable])
    return {
        "n": len(scores),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "n_list": n_lists,
        "n_multi_doc": n_multi,
        "metrics": {
            "key_term_coverage": mean(s.score.key_term_coverage for s in answerable),
            "list_all_items": lists,
            "two_documents_cited": both,
            "refusal_accuracy": refusal,
            "false_refusal_rate": false_refusal,
            "citation_precision": mean(s.score.citation_precision for s in answerable),
            "citation_recall": mean(s.score.citation_recall for s in answerable),
            "degenerate_units": float(sum(len(s.degenerate) for s in scores)),
            # Answers the fallback wrote because the model failed (down, slow, unsupported).
            "degraded_rate": _rate([s.score.degraded for s in scores])[0],
        },
        "latency_ms": {
            "total": latency_summary(
                [s.score.timings_ms["total"] for s in scores if "total" in s.score.timings_ms]
            ),
            "first_token": latency_summary(
                [s.first_token_ms for s in scores if s.first_token_ms is not None]
            ),
        },
    }


def rewording_agreement(scores: Sequence[StudyScore]) -> tuple[float | None, list[str]]:
    """Share of rewording groups (an original and its rewordings) with one decision."""
    groups: dict[str, list[StudyScore]] = defaultdict(list)
    for s in scores:
        groups[s.item.group].append(s)
    reworded = {g: members for g, members in groups.items() if len(members) > 1}
    split = sorted(g for g, m in reworded.items() if len({s.score.refused for s in m}) > 1)
    if not reworded:
        return None, split
    return 1 - len(split) / len(reworded), split


def study(scores: Sequence[StudyScore]) -> dict[str, object]:
    parts = {part: aggregate([s for s in scores if s.part == part]) for part in PARTS}
    agreement, split_groups = rewording_agreement(scores)
    return {
        "parts": {p: a for p, a in parts.items() if a["n"]},
        "rewording_agreement": agreement,
        "split_groups": split_groups,
    }


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}"
    return str(int(value)) if isinstance(value, float) else str(value)


def render(summary: Mapping[str, object], backend: str) -> str:
    parts = summary["parts"]
    assert isinstance(parts, dict)
    names = list(parts)
    lines = [f"backend: {backend}", "", "| metric | " + " | ".join(names) + " |"]
    lines.append("|---|" + "---|" * len(names))
    sizes = " | ".join(
        f"{a['n']} ({a['n_unanswerable']} unanswerable, {a['n_list']} list, "
        f"{a['n_multi_doc']} two-doc)"
        for a in parts.values()
    )
    lines.append(f"| questions | {sizes} |")
    for metric in STUDY_METRICS:
        row = " | ".join(_fmt(a["metrics"][metric]) for a in parts.values())
        lines.append(f"| {metric} | {row} |")
    for stage in ("first_token", "total"):
        row = " | ".join(_fmt(a["latency_ms"][stage].get("p50")) for a in parts.values())
        lines.append(f"| {stage} p50 (ms) | {row} |")
    agreement = summary["rewording_agreement"]
    lines += ["", f"rewording groups with one decision: {_fmt(agreement)}"]
    if summary["split_groups"]:
        lines.append(
            f"groups answered in one wording, refused in another: {summary['split_groups']}"
        )
    return "\n".join(lines)


def row(s: StudyScore) -> dict[str, object]:
    """One question's outcome, for reading the answers (reports/…/answers.jsonl)."""
    return {
        "id": s.item.id,
        "part": s.part,
        "type": s.item.type,
        "question": s.item.question,
        "answer": s.answer,
        "refused": s.score.refused,
        "degraded": s.score.degraded,
        "answerable": s.item.answerable,
        "key_term_coverage": s.score.key_term_coverage,
        "missing_terms": [t for t in s.item.key_terms if not covered_terms(s.answer, [t])],
        "citation_precision": s.score.citation_precision,
        "citation_recall": s.score.citation_recall,
        "cited_docs": list(s.cited_docs),
        "degenerate": list(s.degenerate),
        "first_token_ms": s.first_token_ms,
        "total_ms": s.score.timings_ms.get("total"),
    }


def covered_terms(answer: str, terms: Sequence[str]) -> list[str]:
    folded = match_key(answer).casefold()
    return [t for t in terms if match_key(t).casefold() in folded]


__all__ = [
    "PARTS",
    "StudyScore",
    "answer_units",
    "degenerate_units",
    "load_split",
    "part_of",
    "render",
    "rewording_agreement",
    "row",
    "score_study",
    "study",
]
