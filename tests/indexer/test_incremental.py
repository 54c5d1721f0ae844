"""Incremental builds: the embedding cache means a rebuild embeds only what changed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer.build import build_store
from indexer.chunking import ChunkerSettings
from indexer.embedders import Embedder
from indexer.store import load_store
from tests.indexer.support import TINY_THIRD, manifest_entry


def test_adding_a_document_embeds_only_its_texts(
    tiny_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    store_dir = tmp_path / "store"
    first = build_store(tiny_corpus, store_dir, embedder, ChunkerSettings(), 50_000)
    assert first.built and first.embedded > 0
    before = load_store(store_dir)
    (tiny_corpus / "jamstalldhet.md").write_text(TINY_THIRD, encoding="utf-8")
    with (tiny_corpus / "manifest.toml").open("a", encoding="utf-8") as manifest:
        manifest.write(manifest_entry("jamstalldhet", "jamstalldhet.md"))
    second = build_store(tiny_corpus, store_dir, embedder, ChunkerSettings(), 50_000)
    after = load_store(store_dir)
    new_chunks = [c for c in after.chunks if c.doc_id == "jamstalldhet"]
    new_texts = {c.passage_text for c in new_chunks} | {
        s for c in new_chunks for s in c.sentence_texts()
    }
    assert second.embedded == len(new_texts)
    assert second.embedded + second.reused == len(after.chunks) + after.manifest["sentence_count"]
    # Reused vectors are the vectors the first build embedded, unchanged.
    old = before.index.reconstruct_n(0, before.index.ntotal)
    new = after.index.reconstruct_n(0, after.index.ntotal)
    positions = {c.chunk_id: i for i, c in enumerate(after.chunks)}
    for i, chunk in enumerate(before.chunks):
        assert np.array_equal(old[i], new[positions[chunk.chunk_id]])


def test_another_model_reuses_nothing(
    tiny_corpus: Path, tmp_path: Path, embedder: Embedder
) -> None:
    store_dir = tmp_path / "store"
    first = build_store(tiny_corpus, store_dir, embedder, ChunkerSettings(), 50_000)

    class Renamed:
        def __init__(self, inner: Embedder) -> None:
            self.inner = inner
            info = inner.info.as_dict()
            self.info = type(
                "Info", (), {"dim": inner.info.dim, "as_dict": lambda s: {**info, "revision": "x"}}
            )()

        def embed_passages(self, texts: list[str]) -> np.ndarray:
            return self.inner.embed_passages(texts)

        def embed_queries(self, texts: list[str]) -> np.ndarray:
            return self.inner.embed_queries(texts)

    renamed = Renamed(embedder)
    again = build_store(tiny_corpus, store_dir, renamed, ChunkerSettings(), 50_000)  # type: ignore[arg-type]
    # Only the build's own repeats (sentences shared by overlapping chunks) are reused.
    assert again.built and again.embedded == first.embedded and again.reused == first.reused
