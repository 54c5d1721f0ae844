"""The PostgreSQL store: pgvector's HNSW for meaning, PostgreSQL's Swedish full-text search
for words (an OR of the terms over the GIN-indexed `tsvector`, ranked by BM25 in SQL over
the analyzer's own term counts), chunks fetched by position and kept in a small cache.

A store reads one generation, the one `rag_current` named when it opened; `/admin/reload`
opens the new one. A lost database is a StoreUnavailable (503), and the pool reconnects
by itself when the server is back.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from app.retrieval.store import StoreUnavailable
from indexer import pg_schema
from indexer.database import CONNECT_TIMEOUT_S, redacted, unreachable
from indexer.documents import Chunk
from indexer.store import (
    FORMAT_VERSION,
    REBUILD_HINT,
    StoreError,
    check_built_with,
    chunk_from_record,
)
from indexer.swedish import CompoundSplitter

_K1 = 1.2
_B = 0.75
_CACHED_CHUNKS = 4096
# HNSW's candidate list: at least this wide, and never narrower than the results asked for.
_EF_SEARCH = 64

_BM25 = """
SELECT c.position, sum(f.idf * f.tf * %(k1_plus)s
                       / (f.tf + %(k1)s * (1 - %(b)s + %(b)s * c.term_count / %(average)s)))
FROM {chunks} c
CROSS JOIN LATERAL (
    SELECT q.idf, (c.term_frequencies ->> q.term)::float8 AS tf
    FROM unnest(%(terms)s::text[], %(idfs)s::float8[]) AS q (term, idf)
) f
WHERE (c.lexemes @@ %(query)s::tsquery OR c.term_frequencies ?| %(terms)s::text[])
  AND f.tf IS NOT NULL {document_filter}
GROUP BY c.position
ORDER BY 2 DESC, c.position
LIMIT %(n)s
"""


def open_pool(url: str, size: int) -> ConnectionPool:
    """A pool that checks each connection before lending it, so one the server dropped is
    replaced; start-up fails in seconds, naming the URL, when the server is not there."""
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=size,
        timeout=CONNECT_TIMEOUT_S,
        kwargs={"connect_timeout": CONNECT_TIMEOUT_S},
        check=ConnectionPool.check_connection,
        reconnect_timeout=365 * 24 * 3600,
        open=False,
        name="rag-store",
    )
    try:
        pool.open(wait=True, timeout=CONNECT_TIMEOUT_S + 2)
    except PoolTimeout as exc:
        pool.close()
        reason = _probe(url)
        raise unreachable(url, reason or exc) from exc
    return pool


def _probe(url: str) -> BaseException | None:
    try:
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    except psycopg.Error as exc:
        return exc
    return None


def check_pgvector(version: str | None, where: str) -> None:
    """pgvector 0.8 or later: searching within one document needs `hnsw.iterative_scan`."""
    if version is None:
        raise StoreError(f"{where}: pgvector is not installed; {REBUILD_HINT}")
    parts = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
    if parts < (0, 8):
        raise StoreError(
            f"{where}: pgvector {version} is older than 0.8 (needed for hnsw.iterative_scan); "
            "upgrade the extension (ALTER EXTENSION vector UPDATE)"
        )


def or_query(terms: Sequence[str]) -> str:
    """An OR of the analysed terms as tsquery lexemes (plainto_tsquery would AND them)."""
    quoted = ["'" + t.replace("'", "''").replace("\\", "") + "'" for t in dict.fromkeys(terms)]
    return " | ".join(quoted)


class PostgresStore:
    def __init__(self, pool: ConnectionPool, url: str, expected_embedder: dict[str, Any]) -> None:
        self._pool = pool
        self._where = redacted(url)
        self._cache: OrderedDict[int, tuple[Chunk, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()
        self._manifest, self._generation = self._read_current(expected_embedder)
        self._chunks_table = pg_schema.chunks_table(self._generation)
        self._count = int(self._manifest["chunk_count"])
        self._dim = int(self._manifest["embedder"]["dim"])
        with self._connection() as connection:
            terms = connection.execute(
                f"SELECT term, df FROM {pg_schema.terms_table(self._generation)}"
            ).fetchall()
            words = connection.execute(
                f"SELECT word FROM {pg_schema.words_table(self._generation)}"
            ).fetchall()
        n = self._count
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in terms}
        self.splitter = CompoundSplitter(frozenset(w for (w,) in words))

    def _connection(self) -> Any:
        return _Borrowed(self._pool, self._where)

    def _read_current(self, expected: dict[str, Any]) -> tuple[dict[str, Any], int]:
        with self._connection() as connection:
            found = connection.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ).fetchone()
            check_pgvector(found[0] if found else None, self._where)
            try:
                row = connection.execute(
                    "SELECT g.id, g.manifest FROM rag_current c "
                    "JOIN rag_generations g ON g.id = c.generation"
                ).fetchone()
            except psycopg.errors.UndefinedTable:
                row = None
        if row is None:
            raise StoreError(
                f"{self._where}: no store in this database; build it with "
                "`RAG_STORE=postgres make index`"
            )
        generation, manifest = int(row[0]), dict(row[1])
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise StoreError(
                f"{self._where}: store format {version!r} is not {FORMAT_VERSION}; {REBUILD_HINT}"
            )
        check_built_with(manifest.get("embedder", {}), expected, self._where)
        return manifest, generation

    @property
    def manifest(self) -> Mapping[str, Any]:
        return self._manifest

    @property
    def idf(self) -> Mapping[str, float]:
        return self._idf

    def __len__(self) -> int:
        return self._count

    @property
    def searches_on_loop(self) -> bool:
        return False  # every search is a round trip to the server

    def dense_search(
        self, query_vector: np.ndarray, n: int, document: str | None = None
    ) -> list[tuple[int, float]]:
        where = "WHERE doc_id = %(document)s" if document is not None else ""
        limit = self._count if document is not None else n
        with self._connection() as connection:
            connection.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), "
                "set_config('hnsw.iterative_scan', %s, true)",
                (str(max(_EF_SEARCH, min(limit, 1000))), "strict_order" if document else "off"),
            )
            rows = connection.execute(
                f"SELECT position, 1 - (embedding <=> %(vector)s::vector) FROM "
                f"{self._chunks_table} {where} ORDER BY embedding <=> %(vector)s::vector "
                "LIMIT %(n)s",
                {
                    "vector": pg_schema.vector_literal(query_vector),
                    "document": document,
                    "n": limit,
                },
            ).fetchall()
        return [(int(p), float(s)) for p, s in rows]

    def lexical_candidates(
        self, terms: Sequence[str], n: int, document: str | None = None
    ) -> list[tuple[int, float]]:
        known = [t for t in dict.fromkeys(terms) if t in self._idf]
        if not known:
            return []
        sql = _BM25.format(
            chunks=self._chunks_table,
            document_filter="AND c.doc_id = %(document)s" if document is not None else "",
        )
        average = float(self._manifest.get("average_terms") or 1.0) or 1.0
        with self._connection() as connection:
            rows = connection.execute(
                sql,
                {
                    "k1": _K1,
                    "k1_plus": _K1 + 1,
                    "b": _B,
                    "average": average,
                    "terms": known,
                    "idfs": [self._idf[t] for t in known],
                    "query": or_query(known),
                    "document": document,
                    "n": self._count if document is not None else n,
                },
            ).fetchall()
        return [(int(p), float(s)) for p, s in rows]

    def _row(self, position: int) -> tuple[Chunk, np.ndarray]:
        with self._lock:
            found = self._cache.get(position)
            if found is not None:
                self._cache.move_to_end(position)
                return found
        with self._connection() as connection:
            row = connection.execute(
                f"SELECT record, sentence_vectors FROM {self._chunks_table} WHERE position = %s",
                (position,),
            ).fetchone()
        if row is None:
            raise IndexError(position)
        chunk = chunk_from_record(row[0])
        vectors = np.frombuffer(row[1], dtype=np.float32).reshape(-1, self._dim)
        with self._lock:
            self._cache[position] = (chunk, vectors)
            if len(self._cache) > _CACHED_CHUNKS:
                self._cache.popitem(last=False)
        return chunk, vectors

    def chunk_at(self, position: int) -> Chunk:
        return self._row(position)[0]

    def sentence_vectors(self, position: int) -> np.ndarray:
        return self._row(position)[1]

    def position_of(self, chunk_id: str) -> int | None:
        with self._connection() as connection:
            row = connection.execute(
                f"SELECT position FROM {self._chunks_table} WHERE chunk_id = %s", (chunk_id,)
            ).fetchone()
        return int(row[0]) if row else None

    def neighbours(self, position: int) -> tuple[Chunk | None, Chunk | None]:
        found = self.chunk_at(position)
        before = self.chunk_at(position - 1) if position > 0 else None
        after = self.chunk_at(position + 1) if position + 1 < self._count else None
        return (
            before if before is not None and before.doc_id == found.doc_id else None,
            after if after is not None and after.doc_id == found.doc_id else None,
        )

    def chunks(self) -> Iterator[Chunk]:
        with self._connection() as connection:
            rows = connection.execute(
                f"SELECT record FROM {self._chunks_table} ORDER BY position"
            ).fetchall()
        return iter([chunk_from_record(record) for (record,) in rows])

    def close(self) -> None:
        self._pool.close()


class _Borrowed:
    """A pooled connection for one unit of work; a lost server becomes StoreUnavailable."""

    def __init__(self, pool: ConnectionPool, where: str) -> None:
        self._pool = pool
        self._where = where
        self._context: Any = None

    def __enter__(self) -> psycopg.Connection:
        try:
            self._context = self._pool.connection()
            return self._context.__enter__()
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise StoreUnavailable(f"PostgreSQL at {self._where} is unreachable") from exc

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        try:
            self._context.__exit__(kind, value, traceback)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise StoreUnavailable(f"PostgreSQL at {self._where} is unreachable") from exc
        if isinstance(value, psycopg.OperationalError):
            raise StoreUnavailable(f"PostgreSQL at {self._where} is unreachable") from value
