"""The scale benchmark at a tiny size, against a real PostgreSQL with pgvector."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from eval import scale
from eval.scale_data import VectorSpace, make_corpus, recall_at
from localdb.server import LocalPostgres, free_port


@pytest.fixture(scope="module")
def server() -> Iterator[LocalPostgres]:
    # Not under pytest's 0700 tmp tree: the server runs as its own user and must reach it.
    data_dir = Path(tempfile.mkdtemp(prefix="rag-scale-test-pg-"))
    local = LocalPostgres(data_dir, free_port())
    local.start()
    try:
        yield local
    finally:
        local.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def test_corpus_is_unit_vectors_with_one_row_per_sentence() -> None:
    corpus = make_corpus(300, VectorSpace.make(300, seed=1), seed=1)
    assert len(corpus.chunks) == len(corpus.vectors) == 300
    assert np.allclose(np.linalg.norm(corpus.vectors, axis=1), 1.0, atol=1e-5)
    assert len(corpus.sentence_vectors) == sum(len(c.sentences) for c in corpus.chunks)
    for chunk in corpus.chunks:
        assert 1 <= len(chunk.sentences) <= 2
        assert all(chunk.text[s.start : s.end].endswith(".") for s in chunk.sentences)


def test_recall_counts_the_shared_share_of_the_exact_top_k() -> None:
    assert recall_at([[1, 2, 3]], [[1, 2, 3]], 3) == 1.0
    assert recall_at([[1, 9, 8], [4, 5, 6]], [[1, 2, 3], [6, 5, 4]], 3) == pytest.approx(2 / 3)


def test_tiny_run_reports_every_engine(server: LocalPostgres, tmp_path: Path) -> None:
    results = scale.run([500], server, queries=20, seed=3, command="test")
    folder = scale.save(results, tmp_path)

    saved = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert folder.name.endswith("-scale")
    assert "| pgvector-hnsw |" in (folder / "report.md").read_text(encoding="utf-8")
    [size] = saved["sizes"]
    assert size["chunks"] == 500
    engines = {e["engine"]: e for e in size["engines"]}
    assert set(engines) == {"faiss-flat", "faiss-hnsw", "pgvector-hnsw"}
    for engine in engines.values():
        assert 0.0 <= engine["recall_at_10"] <= 1.0
        assert engine["ingest_chunks_per_s"] > 0 and engine["index_bytes"] > 0
        assert 0 < engine["dense"]["p50_ms"] <= engine["dense"]["p95_ms"]
    assert engines["faiss-flat"]["recall_at_10"] == 1.0
    pg = engines["pgvector-hnsw"]
    for path in ("lexical", "hybrid"):
        assert 0 < pg[path]["p50_ms"] <= pg[path]["p95_ms"]
    assert pg["table_bytes"] > pg["index_bytes"]
