"""Durable feedback storage in SQLite under the service's data directory (the I/O edge)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FEEDBACK_FILE = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stored_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    comment TEXT,
    citations TEXT NOT NULL,
    backend TEXT NOT NULL,
    search_query TEXT,
    refused INTEGER NOT NULL,
    degraded INTEGER NOT NULL
)
"""
_COLUMNS = (
    "id, stored_at, rating, question, answer, comment, citations, backend, search_query, "
    "refused, degraded"
)


@dataclass(frozen=True)
class FeedbackEntry:
    """One reader's judgement of one answer, as it arrives."""

    question: str
    answer: str
    rating: str
    comment: str | None
    citations: tuple[dict[str, Any], ...]
    backend: str
    search_query: str | None = None
    refused: bool = False
    degraded: bool = False


@dataclass(frozen=True)
class StoredFeedback:
    id: int
    stored_at: str
    entry: FeedbackEntry


class FeedbackStoreError(Exception):
    """The feedback database cannot be opened, read or written."""


class FeedbackStore:
    """Opens one connection per call (safe across threads); creates the file on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackStoreError(f"cannot open {self.path}: {exc}") from exc
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute(_SCHEMA)
            with connection:  # one transaction, committed on success
                yield connection
        except sqlite3.Error as exc:
            raise FeedbackStoreError(f"feedback database {self.path}: {exc}") from exc
        finally:
            connection.close()

    def add(self, entry: FeedbackEntry, now: datetime | None = None) -> StoredFeedback:
        stored_at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        with self._connect() as connection:
            cursor = connection.execute(
                "INSERT INTO feedback (stored_at, rating, question, answer, comment, citations, "
                "backend, search_query, refused, degraded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    stored_at,
                    entry.rating,
                    entry.question,
                    entry.answer,
                    entry.comment,
                    json.dumps(list(entry.citations), ensure_ascii=False),
                    entry.backend,
                    entry.search_query,
                    int(entry.refused),
                    int(entry.degraded),
                ),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return StoredFeedback(row_id, stored_at, entry)

    def all(self) -> list[StoredFeedback]:
        with self._connect() as connection:
            rows = connection.execute(f"SELECT {_COLUMNS} FROM feedback ORDER BY id").fetchall()
        return [_from_row(row) for row in rows]


def _from_row(row: tuple[Any, ...]) -> StoredFeedback:
    row_id, stored_at, rating, question, answer, comment, citations, backend = row[:8]
    search_query, refused, degraded = row[8:]
    entry = FeedbackEntry(
        question=question,
        answer=answer,
        rating=rating,
        comment=comment,
        citations=tuple(json.loads(citations)),
        backend=backend,
        search_query=search_query,
        refused=bool(refused),
        degraded=bool(degraded),
    )
    return StoredFeedback(row_id, stored_at, entry)
