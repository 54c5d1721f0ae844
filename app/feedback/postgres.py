"""Feedback in PostgreSQL, beside the store, so that every replica writes to and exports
from the same table (RAG_STORE=postgres); SQLite stays the default."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from app.feedback.store import FeedbackEntry, FeedbackStoreError, StoredFeedback, from_row

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rag_feedback (
    id bigserial PRIMARY KEY,
    stored_at text NOT NULL,
    rating text NOT NULL CHECK (rating IN ('up', 'down')),
    question text NOT NULL,
    answer text NOT NULL,
    comment text,
    citations jsonb NOT NULL,
    backend text NOT NULL,
    search_query text,
    refused boolean NOT NULL,
    degraded boolean NOT NULL,
    "user" text
)
"""
_COLUMNS = (
    "id, stored_at, rating, question, answer, comment, citations::text, backend, search_query, "
    'refused, degraded, "user"'
)


class PostgresFeedbackStore:
    """A 201 is sent only after the row's transaction committed (synchronous commit)."""

    def __init__(self, pool: ConnectionPool, where: str) -> None:
        self._pool = pool
        self._where = where
        self._ready = False

    def _prepare(self, connection: psycopg.Connection) -> None:
        if not self._ready:
            connection.execute(_SCHEMA)
            self._ready = True

    def add(self, entry: FeedbackEntry, now: datetime | None = None) -> StoredFeedback:
        stored_at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        try:
            with self._pool.connection() as connection:
                self._prepare(connection)
                row = connection.execute(
                    "INSERT INTO rag_feedback (stored_at, rating, question, answer, comment, "
                    'citations, backend, search_query, refused, degraded, "user") '
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (
                        stored_at,
                        entry.rating,
                        entry.question,
                        entry.answer,
                        entry.comment,
                        Jsonb(list(entry.citations)),
                        entry.backend,
                        entry.search_query,
                        entry.refused,
                        entry.degraded,
                        entry.user,
                    ),
                ).fetchone()
        except (psycopg.Error, PoolTimeout) as exc:
            raise FeedbackStoreError(
                f"feedback database {self._where}: {_first_line(exc)}"
            ) from exc
        assert row is not None
        return StoredFeedback(int(row[0]), stored_at, entry)

    def all(self) -> list[StoredFeedback]:
        try:
            with self._pool.connection() as connection:
                self._prepare(connection)
                rows = connection.execute(
                    f"SELECT {_COLUMNS} FROM rag_feedback ORDER BY id"
                ).fetchall()
        except (psycopg.Error, PoolTimeout) as exc:
            raise FeedbackStoreError(
                f"feedback database {self._where}: {_first_line(exc)}"
            ) from exc
        return [from_row(_as_sqlite_row(row)) for row in rows]

    def close(self) -> None:
        self._pool.close()


def _as_sqlite_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (*row[:6], row[6] if isinstance(row[6], str) else json.dumps(row[6]), *row[7:])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
