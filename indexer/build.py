"""Builds the store from the corpus: read, clean, chunk, embed, write (I/O orchestration)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from indexer.chunking import ChunkerSettings, chunk_document
from indexer.corpus import DocumentEntry, file_sha256, load_manifest, read_document
from indexer.documents import Chunk
from indexer.embedders import Embedder
from indexer.store import (
    FORMAT_VERSION,
    StoreError,
    check_writable,
    load_store,
    read_manifest,
    write_store,
)

MANIFEST_NAME = "manifest.toml"
_BATCH = 16


@dataclass(frozen=True)
class BuildResult:
    built: bool
    documents: int
    chunks: int
    sentences: int
    seconds: float
    store_dir: Path


def fingerprint(
    entries: Sequence[DocumentEntry],
    shas: dict[str, str],
    embedder_info: dict[str, Any],
    chunker: ChunkerSettings,
) -> str:
    payload = {
        "format_version": FORMAT_VERSION,
        "documents": [{**entry.summary(), "sha256": shas[entry.id]} for entry in entries],
        "embedder": embedder_info,
        "chunker": asdict(chunker),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def load_corpus(
    corpus_dir: Path, chunker: ChunkerSettings
) -> tuple[list[DocumentEntry], list[Chunk]]:
    entries = load_manifest(corpus_dir / MANIFEST_NAME)
    chunks: list[Chunk] = []
    for entry in entries:
        document = read_document(corpus_dir, entry)
        chunks.extend(chunk_document(document, entry.title, chunker))
    return entries, chunks


def _embed(
    embed: Callable[[Sequence[str]], np.ndarray],
    texts: Sequence[str],
    dim: int,
    progress: Callable[[int], None],
) -> np.ndarray:
    parts = [np.zeros((0, dim), dtype=np.float32)]
    for start in range(0, len(texts), _BATCH):
        batch = texts[start : start + _BATCH]
        parts.append(embed(batch))
        progress(len(batch))
    return np.vstack(parts)


def build_store(
    corpus_dir: Path,
    store_dir: Path,
    embedder: Embedder,
    chunker: ChunkerSettings,
    hnsw_threshold: int,
    force: bool = False,
    progress_factory: Callable[[int], Callable[[int], None]] | None = None,
) -> BuildResult:
    started = time.perf_counter()
    check_writable(store_dir)
    entries, chunks = load_corpus(corpus_dir, chunker)
    shas = {entry.id: file_sha256(corpus_dir / entry.file) for entry in entries}
    embedder_info = embedder.info.as_dict()
    build_fingerprint = fingerprint(entries, shas, embedder_info, chunker)
    sentence_texts = [s for chunk in chunks for s in chunk.sentence_texts()]
    if not force and _is_current(store_dir, build_fingerprint):
        return BuildResult(False, len(entries), len(chunks), len(sentence_texts), 0.0, store_dir)
    progress = (progress_factory or (lambda total: lambda n: None))(
        len(chunks) + len(sentence_texts)
    )
    dim = embedder.info.dim
    chunk_vectors = _embed(embedder.embed_passages, [c.passage_text for c in chunks], dim, progress)
    sentence_vectors = _embed(embedder.embed_passages, sentence_texts, dim, progress)
    counts = {entry.id: sum(1 for c in chunks if c.doc_id == entry.id) for entry in entries}
    seconds = time.perf_counter() - started
    manifest = {
        "fingerprint": build_fingerprint,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 3),
        "embedder": embedder_info,
        "normalizer": "l2",
        "chunker": asdict(chunker),
        "documents": [
            {**entry.summary(), "sha256": shas[entry.id], "chunk_count": counts[entry.id]}
            for entry in entries
        ],
    }
    write_store(store_dir, chunks, chunk_vectors, sentence_vectors, manifest, hnsw_threshold)
    return BuildResult(
        True,
        len(entries),
        len(chunks),
        len(sentence_texts),
        time.perf_counter() - started,
        store_dir,
    )


def _is_current(store_dir: Path, build_fingerprint: str) -> bool:
    try:
        if read_manifest(store_dir).get("fingerprint") != build_fingerprint:
            return False
        load_store(store_dir)
    except StoreError:
        return False
    return True
