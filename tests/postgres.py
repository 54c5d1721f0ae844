"""A real PostgreSQL (18, pgvector 0.8) for the test session, and fresh databases in it."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psycopg

from indexer.build import build_into
from indexer.chunking import ChunkerSettings
from indexer.directory_target import DirectoryTarget
from indexer.embedders import Embedder
from indexer.embedding_cache import VectorsByKey, model_identity
from indexer.pg_schema import SHARED
from indexer.pg_target import PostgresTarget
from localdb.server import LocalPostgres, free_port

_names = itertools.count()


@contextmanager
def running_server() -> Iterator[LocalPostgres]:
    """A server on a fresh data directory, stopped and its directory removed afterwards:
    each is ~73 MB, and the ones left behind by earlier runs filled the disk CI runs on."""
    # Not under pytest's 0700 tmp tree: the server runs as its own user and must reach it.
    server = LocalPostgres(Path(tempfile.mkdtemp(prefix="rag-test-pg-")), free_port())
    try:
        server.start()
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(server.data_dir, ignore_errors=True)


def fresh_database(server: LocalPostgres, prefix: str = "t") -> str:
    name = f"{prefix}_{next(_names)}"
    with psycopg.connect(server.url(), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    return server.url(name)


def seed_cache(url: str, store_dir: Path, embedder: Embedder) -> int:
    """The vectors of a built FAISS store, put in the database's embedding cache, so a
    PostgreSQL build of the same corpus embeds nothing (and takes a second, not a minute)."""
    identity = model_identity(embedder.info.as_dict())
    cache = DirectoryTarget(store_dir, 50_000).embedding_cache(identity)
    assert isinstance(cache, VectorsByKey)
    with psycopg.connect(url) as connection:
        connection.execute(SHARED)
        with (
            connection.cursor() as cursor,
            cursor.copy("COPY rag_embedding_cache (key, vector) FROM STDIN") as copy,
        ):
            for key, vector in cache.vectors.items():
                copy.write_row((key, np.ascontiguousarray(vector, np.float32).tobytes()))
    return len(cache.vectors)


def build_postgres(url: str, corpus_dir: Path, store_dir: Path, embedder: Embedder) -> None:
    seed_cache(url, store_dir, embedder)
    result = build_into(corpus_dir, PostgresTarget(url), embedder, ChunkerSettings())
    assert result.built and result.embedded == 0, result


# A build of 30,000 synthetic chunks (no model): long enough to be killed while it writes.
SYNTHETIC_BUILD = """
import numpy as np
from indexer.build_target import BuiltCorpus
from indexer.documents import Chunk, Span
from indexer.pg_target import PostgresTarget
n = 30_000
chunks = tuple(Chunk(f"syn:{{i}}", "syn", "Syntetisk", ("Del",), 1, 1, 0, 20,
                     f"Syntetisk text nummer {{i}} om cyberfrågor.", (Span(0, 20),),
                     ("sentence",)) for i in range(n))
vectors = np.random.default_rng(1).normal(size=(n, 384)).astype("float32")
manifest = {{"embedder": {{"engine": "x", "model": "y", "revision": "z", "dim": 384}},
             "documents": [], "fingerprint": "killed"}}
keys = tuple(i.to_bytes(8, "big") for i in range(n))
print("writing", flush=True)
PostgresTarget({url!r}).write(BuiltCorpus(chunks, vectors, vectors, manifest, keys, keys))
print("done", flush=True)
"""


def generations(url: str) -> list[tuple[int, str]]:
    """(id, state) of each generation, the current one's state marked with `*`."""
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT id, state FROM rag_generations ORDER BY id").fetchall()
        current = connection.execute("SELECT generation FROM rag_current").fetchone()
    return [(int(r[0]), f"{r[1]}{'*' if current and r[0] == current[0] else ''}") for r in rows]


def chunk_tables(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        tables = {r[0] for r in connection.execute("SELECT tablename FROM pg_tables")}
    return {t for t in tables if t.startswith("rag_chunks_")}


def copying(url: str) -> int:
    """Backends writing chunks with COPY now (0 while the server cannot be reached)."""
    try:
        with psycopg.connect(url) as connection:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY rag_chunks_%%' "
                "AND state = 'active'"
            ).fetchone()
    except psycopg.OperationalError:
        return 0
    return int(row[0]) if row else 0


def start_killable_build(url: str) -> subprocess.Popen[str]:
    """The synthetic build in a process of its own, returned once it is writing rows."""
    build = subprocess.Popen(
        [sys.executable, "-c", SYNTHETIC_BUILD.format(url=url)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert build.stdout is not None and build.stdout.readline().strip() == "writing"
    deadline = time.monotonic() + 60
    while not copying(url):
        assert time.monotonic() < deadline and build.poll() is None, "the build never wrote"
        time.sleep(0.05)
    return build
