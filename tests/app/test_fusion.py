from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.retrieval.fusion import reciprocal_rank_fusion

rankings = st.lists(st.integers(min_value=0, max_value=30), unique=True, max_size=15)


def test_item_ranked_high_in_both_lists_wins() -> None:
    fused = reciprocal_rank_fusion({"dense": [1, 2, 3], "lexical": [2, 1, 4]}, k=60)
    assert [item for item, _ in fused][:2] in ([1, 2], [2, 1])
    assert {item for item, _ in fused} == {1, 2, 3, 4}
    assert fused[0][1] == 1 / 61 + 1 / 62


def test_weights_shift_the_result() -> None:
    lists = {"dense": [1, 2], "lexical": [2, 1]}
    assert reciprocal_rank_fusion(lists, {"dense": 2.0, "lexical": 1.0})[0][0] == 1
    assert reciprocal_rank_fusion(lists, {"dense": 1.0, "lexical": 2.0})[0][0] == 2


def test_zero_weight_ignores_a_list() -> None:
    fused = reciprocal_rank_fusion({"dense": [5], "lexical": [7]}, {"dense": 0.0, "lexical": 1.0})
    assert [item for item, _ in fused] == [7]


@given(rankings, rankings)
def test_fusion_does_not_depend_on_list_order(first: list[int], second: list[int]) -> None:
    forward = reciprocal_rank_fusion({"a": first, "b": second})
    backward = reciprocal_rank_fusion({"b": second, "a": first})
    assert forward == backward


@given(rankings, rankings)
def test_scores_are_sorted_and_cover_every_item(first: list[int], second: list[int]) -> None:
    fused = reciprocal_rank_fusion({"a": first, "b": second})
    scores = [score for _, score in fused]
    assert scores == sorted(scores, reverse=True)
    assert {item for item, _ in fused} == set(first) | set(second)
