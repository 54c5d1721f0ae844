"""The answer study's scores: units, degenerate units, lists, two documents, rewordings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.answer_study import (
    answer_units,
    degenerate_units,
    load_split,
    rewording_agreement,
    score_study,
    study,
)
from eval.gold import Hit
from eval.question_set import Evidence, QuestionItem, load_questions
from eval.scoring import AskOutcome

ROOT = Path(__file__).resolve().parents[2]


def _item(id: str, type: str = "factoid", rewords: str | None = None, **kw: object) -> QuestionItem:
    evidence = kw.get(
        "evidence", (Evidence("strategi", "Verktygslådan omfattar bland annat démarcher"),)
    )
    return QuestionItem(
        id=id,
        type=type,  # type: ignore[arg-type]
        question="Vad omfattar verktygslådan?",
        reference_answer="démarcher",
        key_terms=tuple(kw.get("key_terms", ("démarcher",))),  # type: ignore[arg-type]
        evidence=() if type == "unanswerable" else tuple(evidence),  # type: ignore[arg-type]
        history=(),
        section="",
        rewords=rewords,
    )


def _outcome(
    answer: str, refused: bool = False, docs: tuple[str, ...] = ("strategi",)
) -> AskOutcome:
    cited = tuple(Hit(f"{d}:0001", d, answer) for d in docs)
    return AskOutcome(answer, refused, () if refused else cited, 1, 0, False, {"total": 5.0})


def test_units_are_the_pieces_before_each_citation() -> None:
    answer = "Verktygslådan omfattar: [1] – démarcher [1] – sanktioner [1]. Sedan 2019 [2][3]."
    assert answer_units(answer) == [
        "Verktygslådan omfattar:",
        "– démarcher",
        "– sanktioner",
        "Sedan 2019",
    ]


def test_headings_signatures_and_short_units_are_degenerate() -> None:
    answer = "Utrikesminister [1] Två ord [1] Sverige ska stärka sin förmåga att avskräcka [2]"
    assert degenerate_units(answer, {"Utrikesminister"}) == ["Utrikesminister", "Två ord"]


def test_a_list_question_needs_every_item_and_two_documents_both() -> None:
    listing = _item("a", "list", key_terms=("démarcher", "sanktioner"))
    assert score_study(
        listing, "tune", _outcome("démarcher och sanktioner [1]"), set()
    ).list_all_items
    assert not score_study(listing, "tune", _outcome("démarcher [1]"), set()).list_all_items
    both = _item(
        "b",
        "multi_doc",
        evidence=(Evidence("strategi", "x y z w v"), Evidence("pressmeddelande", "a b c d e")),
    )
    one = score_study(both, "test", _outcome("démarcher [1]"), set())
    two = score_study(
        both, "test", _outcome("démarcher [1]", docs=("strategi", "pressmeddelande")), set()
    )
    assert one.two_documents_cited is False and two.two_documents_cited is True


def test_rewordings_agree_when_they_get_one_decision() -> None:
    scores = [
        score_study(_item("q1"), "tune", _outcome("démarcher [1]"), set()),
        score_study(
            _item("h1", rewords="q1"), "heldout", _outcome("Det framgår inte.", True), set()
        ),
        score_study(_item("q2"), "tune", _outcome("démarcher [1]"), set()),
        score_study(_item("h2", rewords="q2"), "heldout", _outcome("démarcher [1]"), set()),
        score_study(_item("q3"), "tune", _outcome("démarcher [1]"), set()),  # no rewording
    ]
    assert rewording_agreement(scores) == (0.5, ["q1"])
    summary = study(scores)
    assert set(summary["parts"]) == {"tune", "heldout"}  # type: ignore[call-overload]


def test_the_split_and_the_heldout_set_are_consistent() -> None:
    tuned = {i.id for i in load_questions(ROOT / "eval" / "questions.jsonl")}
    heldout = load_questions(ROOT / "eval" / "heldout.jsonl")
    test_ids = load_split(ROOT / "eval" / "split.json")
    # Questions added after the split are tune (split.json's "about"): the test share falls
    # as the set grows, but a test part cut short or grown over the whole set shows here.
    assert test_ids < tuned and 0.3 < len(test_ids) / len(tuned) < 0.6
    assert not tuned & {i.id for i in heldout}
    assert {i.rewords for i in heldout if i.rewords} <= tuned


def test_a_split_file_without_test_ids_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "split.json"
    path.write_text(json.dumps({"tune": ["q1"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="'test'"):
        load_split(path)
