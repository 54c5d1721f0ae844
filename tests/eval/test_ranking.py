"""The pure metric functions of the evaluation: plain, fast, no model."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eval.gold import Hit, covered_quotes, match_key, relevant_count
from eval.question_set import Evidence
from eval.ranking import (
    citation_precision,
    citation_recall,
    evidence_recall_at_k,
    hit_at_k,
    key_term_coverage,
    latency_summary,
    mean,
    ndcg_at_k,
    percentile,
    reciprocal_rank,
)

# ------------------------------------------------------------------ ranking


def test_hit_at_k_looks_only_at_the_first_k() -> None:
    relevant = [False, False, True]
    assert hit_at_k(relevant, 2) == 0.0
    assert hit_at_k(relevant, 3) == 1.0
    assert hit_at_k([], 5) == 0.0


def test_evidence_recall_counts_distinct_quotes() -> None:
    covered = [frozenset({0}), frozenset({0}), frozenset({1})]
    assert evidence_recall_at_k(covered, 2, 1) == 0.5
    assert evidence_recall_at_k(covered, 2, 2) == 0.5  # the same quote twice counts once
    assert evidence_recall_at_k(covered, 2, 3) == 1.0
    assert evidence_recall_at_k([], 1, 5) == 0.0
    with pytest.raises(ValueError):
        evidence_recall_at_k(covered, 0, 3)


def test_reciprocal_rank() -> None:
    assert reciprocal_rank([True]) == 1.0
    assert reciprocal_rank([False, False, True]) == pytest.approx(1 / 3)
    assert reciprocal_rank([False] * 10 + [True], k=10) == 0.0
    assert reciprocal_rank([]) == 0.0


def test_ndcg_of_known_rankings() -> None:
    assert ndcg_at_k([True, False, False], n_relevant=1) == 1.0
    # One relevant chunk at rank 2: 1/log2(3).
    assert ndcg_at_k([False, True], n_relevant=1) == pytest.approx(1 / math.log2(3))
    # Two relevant chunks exist, one found at rank 1: 1 / (1 + 1/log2(3)).
    assert ndcg_at_k([True, False], n_relevant=2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([False, False], n_relevant=0) == 0.0
    assert ndcg_at_k([False] * 10 + [True], n_relevant=1, k=10) == 0.0


@given(st.lists(st.booleans(), max_size=15), st.integers(min_value=0, max_value=20))
def test_ndcg_stays_within_zero_and_one(relevant: list[bool], n_relevant: int) -> None:
    assert 0.0 <= ndcg_at_k(relevant, n_relevant, 10) <= 1.0 + 1e-12


@given(st.lists(st.booleans(), min_size=1, max_size=15))
def test_moving_the_relevant_chunks_first_never_lowers_ndcg(relevant: list[bool]) -> None:
    ideal = sorted(relevant, reverse=True)
    n = sum(relevant)
    assert ndcg_at_k(ideal, n, 10) >= ndcg_at_k(relevant, n, 10) - 1e-12


# ------------------------------------------------------------------ answers


def test_citation_precision_and_recall() -> None:
    assert citation_precision([True, False, True, True]) == 0.75
    assert citation_precision([]) is None
    assert citation_recall([frozenset({0}), frozenset()], 2) == 0.5
    assert citation_recall([frozenset({0, 1}), frozenset({1})], 2) == 1.0
    assert citation_recall([], 2) == 0.0
    assert citation_recall([frozenset({0})], 0) is None


def test_key_term_coverage_normalises_both_sides() -> None:
    answer = "Sverige ska stärka säkerhets-\noch försvarspolitiken [1] inom EU\\-samarbetet."
    assert key_term_coverage(answer, ["EU-samarbetet", "säkerhets- och"]) == 1.0
    assert key_term_coverage(answer, ["eu-SAMARBETET", "Nato"]) == 0.5
    assert key_term_coverage(answer, []) is None


# ------------------------------------------------------------------ latency


def test_percentile_interpolates_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == 25.0
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile(values, 101)


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=50))
def test_percentiles_are_ordered_and_bounded(values: list[float]) -> None:
    p50, p95, p99 = (percentile(values, q) for q in (50, 95, 99))
    assert min(values) <= p50 <= p95 <= p99 <= max(values)


def test_latency_summary_and_mean() -> None:
    summary = latency_summary([1.0, 2.0, 3.0])
    assert summary["p50"] == 2.0 and summary["max"] == 3.0 and summary["n"] == 3.0
    assert latency_summary([]) == {}
    assert mean([1.0, None, 3.0]) == 2.0
    assert mean([None]) is None


# ------------------------------------------------------------------ gold matching


def test_match_key_undoes_extraction_artefacts_on_both_sides() -> None:
    assert match_key("säkerhets- \noch  försvars") == match_key("säkerhets-och försvars")
    assert match_key("EU\\:s   roll\n12\n") == "EU:s roll"


def test_a_chunk_covers_the_quotes_of_its_own_document_only() -> None:
    evidence = (
        Evidence("strategi", "Sverige ska  verka för"),
        Evidence("pressmeddelande", "dialogen hölls"),
    )
    chunk = Hit("strategi:0001", "strategi", "Därför ska\nSverige ska verka för öppenhet.")
    other = Hit("pressmeddelande:0000", "pressmeddelande", "Sverige ska verka för")
    assert covered_quotes(evidence, chunk) == frozenset({0})
    assert covered_quotes(evidence, other) == frozenset()
    assert relevant_count(evidence, [chunk, other, chunk]) == 2
