"""Okapi BM25 over pre-analysed documents, with an inverted index (pure)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Posting:
    documents: np.ndarray
    frequencies: np.ndarray


@dataclass(frozen=True)
class BM25Index:
    postings: dict[str, Posting]
    lengths: np.ndarray
    idf: dict[str, float]
    k1: float = 1.2
    b: float = 0.75

    @classmethod
    def build(
        cls, documents: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75
    ) -> BM25Index:
        collected: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for doc_index, terms in enumerate(documents):
            for term, count in Counter(terms).items():
                ids, counts = collected[term]
                ids.append(doc_index)
                counts.append(count)
        n = len(documents)
        postings = {
            term: Posting(np.array(ids, dtype=np.int64), np.array(counts, dtype=np.float64))
            for term, (ids, counts) in collected.items()
        }
        idf = {
            term: math.log(1 + (n - len(p.documents) + 0.5) / (len(p.documents) + 0.5))
            for term, p in postings.items()
        }
        lengths = np.array([len(terms) for terms in documents], dtype=np.float64)
        return cls(postings, lengths, idf, k1, b)

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        scores = np.zeros(len(self.lengths), dtype=np.float64)
        if not len(self.lengths):
            return scores
        average = float(self.lengths.mean()) or 1.0
        for term in set(query_terms):
            posting = self.postings.get(term)
            if posting is None:
                continue
            tf = posting.frequencies
            norm = self.k1 * (1 - self.b + self.b * self.lengths[posting.documents] / average)
            scores[posting.documents] += self.idf[term] * tf * (self.k1 + 1) / (tf + norm)
        return scores

    def top(self, query_terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        scores = self.scores(query_terms)
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
