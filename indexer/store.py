"""The on-disk store: FAISS index, chunk metadata and sentence vectors, written atomically.

A build writes into a temporary sibling directory, fsyncs every file, then swaps it in
with two renames; a crash at any point leaves the previous store loadable.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from indexer.corpus import file_sha256
from indexer.documents import Chunk, Span

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
INDEX = "chunks.faiss"
SENTENCE_VECTORS = "sentences.npy"
DATA_FILES = (CHUNKS, INDEX, SENTENCE_VECTORS)
_HNSW_NEIGHBOURS = 32
REBUILD_HINT = "rebuild it with `make index` (or `python -m indexer build --force`)"


class StoreError(Exception):
    """The store is missing or unusable; the message is one line that says how to fix it."""


@dataclass(frozen=True)
class LoadedStore:
    path: Path
    manifest: dict[str, Any]
    chunks: tuple[Chunk, ...]
    index: faiss.Index
    sentence_vectors: np.ndarray
    # Row in `sentence_vectors` of each chunk's first sentence.
    sentence_rows: tuple[int, ...]

    def chunk_position(self) -> dict[str, int]:
        return {chunk.chunk_id: i for i, chunk in enumerate(self.chunks)}


def build_index(vectors: np.ndarray, hnsw_threshold: int) -> faiss.Index:
    """Exact inner product at small sizes; HNSW (approximate) above `hnsw_threshold` vectors."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    index: faiss.Index
    if len(vectors) > hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, _HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 64
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def chunk_to_record(chunk: Chunk) -> dict[str, Any]:
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "heading_path": list(chunk.heading_path),
        "page_start": chunk.page_start,
        "page_end": chunk.page_end,
        "start": chunk.start,
        "end": chunk.end,
        "text": chunk.text,
        "sentences": [[s.start, s.end] for s in chunk.sentences],
        "roles": list(chunk.roles),
    }


def chunk_from_record(record: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=record["chunk_id"],
        doc_id=record["doc_id"],
        title=record["title"],
        heading_path=tuple(record["heading_path"]),
        page_start=record["page_start"],
        page_end=record["page_end"],
        start=record["start"],
        end=record["end"],
        text=record["text"],
        sentences=tuple(Span(s, e) for s, e in record["sentences"]),
        roles=tuple(record.get("roles", ())),
    )


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _siblings(store_dir: Path, tag: str) -> list[Path]:
    return sorted(store_dir.parent.glob(f".{store_dir.name}.{tag}-*"))


def check_writable(store_dir: Path) -> None:
    parent = store_dir.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"{parent}: cannot create the store's parent directory ({exc.strerror}); "
            "set RAG_STORE_DIR to a writable place"
        ) from exc
    if not os.access(parent, os.W_OK | os.X_OK) or (
        store_dir.exists() and not os.access(store_dir, os.W_OK | os.X_OK)
    ):
        raise StoreError(
            f"{store_dir}: store directory is not writable; fix its permissions "
            "or set RAG_STORE_DIR to a writable place"
        )


@contextlib.contextmanager
def staging_directory(store_dir: Path) -> Iterator[Path]:
    """A fresh temporary directory beside the store; removed unless committed."""
    check_writable(store_dir)
    for stale in _siblings(store_dir, "tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    staging = store_dir.parent / f".{store_dir.name}.tmp-{os.getpid()}-{time.time_ns()}"
    staging.mkdir()
    try:
        yield staging
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def write_store(
    store_dir: Path,
    chunks: Sequence[Chunk],
    chunk_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    manifest: dict[str, Any],
    hnsw_threshold: int,
) -> None:
    """Writes a complete store and swaps it in atomically over the old one."""
    if len(chunks) != len(chunk_vectors):
        raise ValueError("one vector per chunk is required")
    if sum(len(c.sentences) for c in chunks) != len(sentence_vectors):
        raise ValueError("one vector per chunk sentence is required")
    with staging_directory(store_dir) as staging:
        with (staging / CHUNKS).open("w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(json.dumps(chunk_to_record(chunk), ensure_ascii=False) + "\n")
        index = build_index(chunk_vectors, hnsw_threshold)
        faiss.write_index(index, str(staging / INDEX))
        np.save(staging / SENTENCE_VECTORS, np.ascontiguousarray(sentence_vectors, np.float32))
        files = {
            name: {"sha256": file_sha256(staging / name), "bytes": (staging / name).stat().st_size}
            for name in DATA_FILES
        }
        full_manifest = {
            **manifest,
            "format_version": FORMAT_VERSION,
            "chunk_count": len(chunks),
            "sentence_count": len(sentence_vectors),
            "index_type": "hnsw" if isinstance(index, faiss.IndexHNSWFlat) else "flat",
            "files": files,
        }
        (staging / MANIFEST).write_text(
            json.dumps(full_manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        for name in (*DATA_FILES, MANIFEST):
            _fsync_file(staging / name)
        _fsync_dir(staging)
        _swap_in(staging, store_dir)


def _swap_in(staging: Path, store_dir: Path) -> None:
    previous = store_dir.parent / f".{store_dir.name}.old-{os.getpid()}-{time.time_ns()}"
    if store_dir.exists():
        os.rename(store_dir, previous)
    os.rename(staging, store_dir)
    _fsync_dir(store_dir.parent)
    shutil.rmtree(previous, ignore_errors=True)


def recover_interrupted_swap(store_dir: Path) -> None:
    """If a crash fell between the two renames of a swap, put the old store back."""
    if store_dir.exists():
        return
    backups = _siblings(store_dir, "old")
    if backups:
        os.rename(backups[-1], store_dir)


def check_built_with(
    built_with: dict[str, Any], expected_embedder: dict[str, Any], where: str
) -> None:
    """The store's embedder is the service's, or a StoreError that says how to fix it."""
    for key in ("engine", "model", "revision", "dim"):
        if built_with.get(key) != expected_embedder.get(key):
            raise StoreError(
                f"{where}: built with {built_with.get('engine')}/{built_with.get('model')}"
                f" ({key} {built_with.get(key)!r}) but the service is configured for "
                f"{expected_embedder.get('engine')}/{expected_embedder.get('model')} "
                f"({key} {expected_embedder.get(key)!r}); {REBUILD_HINT} or change "
                "RAG_EMBEDDER / RAG_EMBEDDING_MODEL"
            )


def read_manifest(store_dir: Path) -> dict[str, Any]:
    manifest_path = store_dir / MANIFEST
    if not store_dir.is_dir():
        raise StoreError(f"{store_dir}: no store here; build it with `make index`")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise StoreError(f"{manifest_path}: manifest missing; {REBUILD_HINT}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{manifest_path}: manifest is corrupt; {REBUILD_HINT}") from exc
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        raise StoreError(
            f"{manifest_path}: store format {version!r} is not {FORMAT_VERSION}; {REBUILD_HINT}"
        )
    return manifest


def load_store(
    store_dir: Path, expected_embedder: dict[str, Any] | None = None, verify: bool = True
) -> LoadedStore:
    """Loads and verifies a store; every problem is a StoreError with a one-line fix."""
    recover_interrupted_swap(store_dir)
    manifest = read_manifest(store_dir)
    files = manifest.get("files", {})
    for name in DATA_FILES:
        path = store_dir / name
        expected = files.get(name, {})
        if not path.is_file():
            raise StoreError(f"{path}: missing from the store; {REBUILD_HINT}")
        if path.stat().st_size != expected.get("bytes"):
            raise StoreError(f"{path}: truncated or altered (size differs); {REBUILD_HINT}")
        if verify and file_sha256(path) != expected.get("sha256"):
            raise StoreError(f"{path}: checksum differs from the manifest; {REBUILD_HINT}")
    built_with = manifest.get("embedder", {})
    if expected_embedder is not None:
        check_built_with(built_with, expected_embedder, str(store_dir))
    try:
        with (store_dir / CHUNKS).open(encoding="utf-8") as handle:
            chunks = tuple(chunk_from_record(json.loads(line)) for line in handle if line.strip())
        index = faiss.read_index(str(store_dir / INDEX))
        sentence_vectors = np.load(store_dir / SENTENCE_VECTORS)
    except (ValueError, KeyError, TypeError, RuntimeError, OSError) as exc:
        raise StoreError(
            f"{store_dir}: store files are unreadable ({exc}); {REBUILD_HINT}"
        ) from exc
    dim = built_with.get("dim")
    if index.ntotal != len(chunks) or len(chunks) != manifest.get("chunk_count"):
        raise StoreError(f"{store_dir}: index and chunk metadata disagree; {REBUILD_HINT}")
    if index.d != dim or sentence_vectors.ndim != 2 or sentence_vectors.shape[1] != dim:
        raise StoreError(f"{store_dir}: vector dimension differs from {dim}; {REBUILD_HINT}")
    rows: list[int] = []
    total = 0
    for chunk in chunks:
        rows.append(total)
        total += len(chunk.sentences)
    if total != len(sentence_vectors):
        raise StoreError(f"{store_dir}: sentence vectors and chunks disagree; {REBUILD_HINT}")
    return LoadedStore(
        path=store_dir,
        manifest=manifest,
        chunks=chunks,
        index=index,
        sentence_vectors=sentence_vectors,
        sentence_rows=tuple(rows),
    )
