"""Synthetic corpora for the scale benchmark (pure): clustered unit vectors, Swedish-looking
texts, and the measures it reports (recall against exact search, latency percentiles).

Vectors are clustered points of a low-dimensional latent space projected to `dim`
dimensions, plus a little noise, so that nearest neighbours are well defined (as with real
embeddings) and HNSW's recall means something; independent random unit vectors in 384
dimensions are all nearly equidistant. Texts draw pseudo-words from a Zipf distribution
that starts past its head, as if stop words were removed, so term frequencies look real.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.documents import Chunk, Span

DIM = 384
CHUNKS_PER_DOCUMENT = 50
_LATENT_DIM = 24
_SPREAD = 0.6
_NOISE = 0.15
_VOCABULARY = 20_000
_ZIPF_OFFSET = 50
_SYLLABLES = (
    "cy ber sä ker het för svar stra te gi di tal nät verk lag råd myn dig het ut rik es "
    "pol it ik an grepp skydd sam ar bete in for ma tion sy stem kri s be red skap tek nik "
    "norm frå ga land eu ro pa värl d fri het rätt ig het er ing en ande lig"
).split()


@dataclass(frozen=True)
class SyntheticCorpus:
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray  # (n, dim) float32, unit rows
    sentence_vectors: np.ndarray  # one row per sentence, chunk after chunk
    vocabulary: tuple[str, ...]
    word_weights: np.ndarray


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


@dataclass(frozen=True)
class VectorSpace:
    """Cluster centres in a latent space and the projection that lifts them to `dim`."""

    centres: np.ndarray
    projection: np.ndarray

    @classmethod
    def make(cls, n: int, seed: int, dim: int = DIM) -> VectorSpace:
        rng = np.random.default_rng(seed)
        clusters = max(8, int(np.sqrt(n)))
        centres = rng.standard_normal((clusters, _LATENT_DIM)).astype(np.float32)
        projection = rng.standard_normal((_LATENT_DIM, dim)).astype(np.float32)
        return cls(centres, projection / np.sqrt(_LATENT_DIM))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        out = np.empty((n, self.projection.shape[1]), dtype=np.float32)
        for start in range(0, n, 65_536):  # bounded memory at 1M rows
            count = min(65_536, n - start)
            which = rng.integers(0, len(self.centres), count)
            latent = self.centres[which] + _SPREAD * rng.standard_normal(
                (count, _LATENT_DIM), dtype=np.float32
            )
            rows = latent @ self.projection
            rows += _NOISE * rng.standard_normal(rows.shape, dtype=np.float32)
            out[start : start + count] = _unit(rows)
        return out


def vocabulary(rng: np.random.Generator, size: int = _VOCABULARY) -> tuple[str, ...]:
    words: dict[str, None] = {}
    while len(words) < size:
        parts = rng.choice(len(_SYLLABLES), int(rng.integers(2, 5)))
        words["".join(_SYLLABLES[p] for p in parts)] = None
    return tuple(words)


def zipf_weights(size: int) -> np.ndarray:
    weights = 1.0 / (np.arange(size) + _ZIPF_OFFSET)
    return weights / weights.sum()


def sentence(words: Sequence[str]) -> str:
    return " ".join(words).capitalize() + "."


def make_corpus(n: int, space: VectorSpace, seed: int) -> SyntheticCorpus:
    rng = np.random.default_rng(seed + 1)
    vocab = vocabulary(rng)
    weights = zipf_weights(len(vocab))
    vectors = space.sample(n, rng)
    sentence_counts = rng.integers(1, 3, n)
    lengths = rng.integers(6, 16, int(sentence_counts.sum()))
    drawn = iter(rng.choice(len(vocab), int(lengths.sum()), p=weights).tolist())
    chunks: list[Chunk] = []
    offset, length_at = 0, 0
    for i in range(n):
        doc = i // CHUNKS_PER_DOCUMENT
        if i % CHUNKS_PER_DOCUMENT == 0:
            offset = 0
        texts = []
        for _ in range(int(sentence_counts[i])):
            texts.append(sentence([vocab[next(drawn)] for _ in range(int(lengths[length_at]))]))
            length_at += 1
        spans, start = [], 0
        for text in texts:
            spans.append(Span(start, start + len(text)))
            start += len(text) + 1
        text = " ".join(texts)
        chunks.append(
            Chunk(
                chunk_id=f"syn-{doc}-{i}",
                doc_id=f"syn-{doc}",
                title=f"Syntetiskt dokument {doc}",
                heading_path=(f"Avsnitt {i % CHUNKS_PER_DOCUMENT // 10 + 1}",),
                page_start=1,
                page_end=1,
                start=offset,
                end=offset + len(text),
                text=text,
                sentences=tuple(spans),
            )
        )
        offset += len(text) + 1
    sentence_vectors = np.repeat(vectors, sentence_counts, axis=0)
    return SyntheticCorpus(tuple(chunks), vectors, sentence_vectors, vocab, weights)


def query_texts(corpus: SyntheticCorpus, count: int, seed: int) -> list[str]:
    """Questions of three to six words from the corpus's vocabulary."""
    rng = np.random.default_rng(seed + 2)
    vocab, weights = corpus.vocabulary, corpus.word_weights
    return [
        sentence([vocab[w] for w in rng.choice(len(vocab), int(rng.integers(3, 7)), p=weights)])
        for _ in range(count)
    ]


def recall_at(found: Sequence[Sequence[int]], exact: Sequence[Sequence[int]], k: int) -> float:
    """Mean share of the exact top-k that the approximate top-k also holds."""
    if not exact:
        return 0.0
    shares = [
        len(set(f[:k]) & set(e[:k])) / max(1, len(e[:k])) for f, e in zip(found, exact, strict=True)
    ]
    return float(np.mean(shares))


def percentiles_ms(seconds: Sequence[float]) -> dict[str, float]:
    p50, p95 = np.percentile(np.asarray(seconds) * 1000.0, [50, 95])
    return {"p50_ms": round(float(p50), 3), "p95_ms": round(float(p95), 3)}
