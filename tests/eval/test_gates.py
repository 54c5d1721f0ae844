"""Gates (--fail-under/--fail-over), flat metric names, baseline deltas and the CLI's
argument errors: pure, fast, no model."""

from __future__ import annotations

import pytest

from eval.cli import main as eval_main
from eval.gates import (
    Gate,
    baseline_payload,
    check_known,
    comparable,
    deltas,
    failures,
    flatten,
    is_headline,
    metric_names,
    parse_gate,
)
from eval.gold import Hit
from eval.question_set import Evidence, QuestionItem
from eval.scoring import (
    AskOutcome,
    aggregate_answers,
    aggregate_retrieval,
    score_answer,
    score_retrieval,
)


def test_parse_gate() -> None:
    assert parse_gate("hybrid.recall@5=0.9") == Gate("hybrid.recall@5", 0.9, "under")
    assert parse_gate(" refusal_accuracy = 0.6 ", "over").value == 0.6


@pytest.mark.parametrize("spec", ["hybrid.recall@5", "=0.9", "x=", "x=abc", "x=nan", "x=inf"])
def test_parse_gate_rejects_malformed_specs(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_gate(spec)


def test_failures_compare_in_the_gate_direction() -> None:
    flat = {"hybrid.recall@5": 0.92, "false_refusal_rate": 0.02}
    gates = [
        Gate("hybrid.recall@5", 0.90, "under"),
        Gate("false_refusal_rate", 0.05, "over"),
    ]
    assert failures(gates, flat) == []
    problems = failures(
        [Gate("hybrid.recall@5", 0.95, "under"), Gate("false_refusal_rate", 0.01, "over")], flat
    )
    assert problems == [
        "hybrid.recall@5 = 0.9200 is below 0.95",
        "false_refusal_rate = 0.0200 is above 0.01",
    ]
    assert "not computed" in failures([Gate("dense.recall@5", 0.5, "under")], flat)[0]


def test_unknown_metric_names_suggest_the_closest() -> None:
    known = metric_names(["bm25", "hybrid"], ["extractive"], ["factoid"])
    check_known([Gate("hybrid.recall@5", 0.9, "under")], known)
    with pytest.raises(ValueError, match="did you mean hybrid.recall@5"):
        check_known([Gate("hybrid.recal@5", 0.9, "under")], known)


def _item(
    item_id: str, qtype: str, quotes: tuple[str, ...], key_terms: tuple[str, ...]
) -> QuestionItem:
    return QuestionItem(
        id=item_id,
        type=qtype,  # type: ignore[arg-type]
        question="Fråga?",
        reference_answer="Svar.",
        key_terms=key_terms,
        evidence=tuple(Evidence("strategi", q) for q in quotes),
        history=(),
        section="x",
    )


def _results() -> dict[str, object]:
    answerable = _item("q1", "factoid", ("Nato har ett växande fokus",), ("Nato",))
    unanswerable = _item("q2", "unanswerable", (), ())
    gold = Hit("strategi:1", "strategi", "Nato har ett växande fokus på cyber.")
    other = Hit("strategi:2", "strategi", "Något annat.")
    retrieval = [score_retrieval(answerable, [other, gold], n_relevant=1, latency_ms=5.0)]
    answers = [
        score_answer(
            answerable,
            AskOutcome(
                "Nato har ett växande fokus [2].", False, (gold,), 1, 0, False, {"total": 9.0}
            ),
        ),
        score_answer(
            unanswerable,
            AskOutcome("Det framgår inte av dokumenten.", True, (), 0, 0, False, {"total": 3.0}),
        ),
    ]
    return {
        "retrieval": {"hybrid": aggregate_retrieval(retrieval)},
        "answers": {"extractive": aggregate_answers(answers)},
    }


def test_scores_flatten_into_the_names_that_gates_accept() -> None:
    flat = flatten(_results())
    assert flat["hybrid.recall@1"] == 0.0 and flat["hybrid.recall@5"] == 1.0
    assert flat["hybrid.mrr@10"] == 0.5
    assert flat["hybrid.factoid.recall@5"] == 1.0
    assert flat["refusal_accuracy"] == flat["extractive.refusal_accuracy"] == 1.0
    assert flat["false_refusal_rate"] == 0.0
    assert flat["citation_precision"] == flat["citation_recall"] == 1.0
    assert flat["key_term_coverage"] == 1.0
    assert flat["extractive.latency.total.p50"] == 6.0
    assert set(flat) <= metric_names(["hybrid"], ["extractive"], ["factoid", "unanswerable"])


def test_deltas_know_which_direction_is_worse() -> None:
    changes = {
        d.metric: d
        for d in deltas(
            {"a.recall@5": 0.8, "false_refusal_rate": 0.1, "new": 1},
            {"a.recall@5": 0.9, "false_refusal_rate": 0.05},
        )
    }
    assert set(changes) == {"a.recall@5", "false_refusal_rate"}
    assert changes["a.recall@5"].worse and changes["false_refusal_rate"].worse
    assert changes["a.recall@5"].change == pytest.approx(-0.1)
    tiny = deltas({"a.recall@5": 0.90004}, {"a.recall@5": 0.9})[0]
    assert not tiny.changed and not tiny.worse
    assert is_headline("hybrid.recall@5") and not is_headline("hybrid.factoid.recall@5")


@pytest.mark.parametrize(
    "argv",
    [
        ["--fail-under", "hybrid.recall@5"],
        ["--fail-under", "hybrid.recall@5=high"],
        ["--limit", "0"],
        ["--no-such-flag"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        eval_main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("python -m eval: error:")


def test_a_missing_question_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert eval_main(["--questions", "/nonexistent/questions.jsonl"]) == 2
    assert capsys.readouterr().err.startswith("python -m eval: error: cannot load questions")


def test_the_baseline_keeps_prefixed_quality_figures_of_the_same_question_set() -> None:
    flat = {"hybrid.recall@5": 0.93712, "refusal_accuracy": 0.8, "hybrid.latency.p50": 30.0}
    payload = baseline_payload(flat, 161)
    assert payload["metrics"] == {"hybrid.recall@5": 0.9371}
    assert comparable(payload, 161) == {"hybrid.recall@5": 0.9371}
    assert comparable(payload, 16) == {}  # a --limit run is not compared
    assert comparable({}, 161) == {}
