"""A real PostgreSQL (18, pgvector 0.8) for the test session, and fresh databases in it."""

from __future__ import annotations

import itertools
import tempfile
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


def start_server() -> LocalPostgres:
    # Not under pytest's 0700 tmp tree: the server runs as its own user and must reach it.
    server = LocalPostgres(Path(tempfile.mkdtemp(prefix="rag-test-pg-")), free_port())
    server.start()
    return server


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
