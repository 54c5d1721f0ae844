from __future__ import annotations

import math

from app.retrieval.bm25 import BM25Index


def test_document_with_the_rare_term_ranks_first() -> None:
    index = BM25Index.build([["nato", "eu"], ["eu", "osse"], ["eu", "eu", "fn"]])
    top = index.top(["osse", "eu"], k=3)
    assert top[0][0] == 1
    assert all(score > 0 for _, score in top)


def test_unknown_terms_score_nothing() -> None:
    index = BM25Index.build([["nato"], ["eu"]])
    assert index.top(["budget"], k=2) == []
    assert index.scores(["budget"]).tolist() == [0.0, 0.0]


def test_idf_is_higher_for_rarer_terms() -> None:
    index = BM25Index.build([["a", "b"], ["a"], ["a", "c"]])
    assert index.idf["b"] > index.idf["a"] > 0
    assert math.isclose(index.idf["b"], index.idf["c"])


def test_repeated_query_terms_count_once_and_k_limits() -> None:
    index = BM25Index.build([["x"], ["x", "y"], ["y"]])
    assert index.scores(["x", "x"]).tolist() == index.scores(["x"]).tolist()
    assert len(index.top(["x", "y"], k=1)) == 1


def test_empty_index() -> None:
    index = BM25Index.build([])
    assert index.top(["x"], k=3) == []
