"""Durable feedback storage in SQLite under the service's data directory (the I/O edge)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

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
    degraded INTEGER NOT NULL,
    user TEXT
)
"""
# Columns added after the first release, with their type: added to an older database in place.
_ADDED_COLUMNS = {"user": "TEXT"}
_COLUMNS = (
    "id, stored_at, rating, question, answer, comment, citations, backend, search_query, "
    "refused, degraded, user"
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
    user: str | None = None  # who rated: the proxy's user, or key:NAME for a machine client


@dataclass(frozen=True)
class StoredFeedback:
    id: int
    stored_at: str
    entry: FeedbackEntry


class FeedbackStoreError(Exception):
    """The feedback database cannot be opened, read or written."""


class FeedbackRecords(Protocol):
    """Where ratings go: SQLite in the data directory, or PostgreSQL beside the store."""

    def add(self, entry: FeedbackEntry, now: datetime | None = None) -> StoredFeedback: ...

    def all(self) -> list[StoredFeedback]: ...

    def close(self) -> None: ...


class FeedbackStore:
    """Opens one connection per call (safe across threads); creates the file on first use.

    `busy_timeout_s` bounds the wait for a lock another process holds; `max_bytes` bounds the
    database's size (beyond it a write fails as SQLITE_FULL, as on a full disk)."""

    def __init__(
        self, path: Path, busy_timeout_s: float = 5.0, max_bytes: int | None = None
    ) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.max_bytes = max_bytes

    def _use_wal(self, connection: sqlite3.Connection) -> None:
        """WAL is a property of the file, set once. Switching needs a lock that SQLite does not
        wait for (the busy timeout does not apply), so a first write racing another connection
        on a new file would fail as "database is locked": retry within the busy timeout."""
        deadline = time.monotonic() + self.busy_timeout_s
        while connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            try:
                connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def _prepare(self, connection: sqlite3.Connection) -> None:
        self._use_wal(connection)
        connection.execute("PRAGMA synchronous=FULL")
        if self.max_bytes is not None:
            page_bytes = int(connection.execute("PRAGMA page_size").fetchone()[0])
            pages = max(1, self.max_bytes // page_bytes)
            connection.execute(f"PRAGMA max_page_count={pages}")
        connection.execute(_SCHEMA)
        present = {row[1] for row in connection.execute("PRAGMA table_info(feedback)")}
        for column, kind in _ADDED_COLUMNS.items():
            if column not in present:  # a database from before the column existed
                try:
                    connection.execute(f"ALTER TABLE feedback ADD COLUMN {column} {kind}")
                except sqlite3.OperationalError as exc:
                    if "duplicate column" not in str(exc):  # another process was first
                        raise

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=self.busy_timeout_s)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackStoreError(f"cannot open {self.path}: {exc}") from exc
        try:
            self._prepare(connection)
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
                "backend, search_query, refused, degraded, user) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    entry.user,
                ),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return StoredFeedback(row_id, stored_at, entry)

    def close(self) -> None:
        """Nothing is held open: each call opens its own connection."""

    def all(self) -> list[StoredFeedback]:
        with self._connect() as connection:
            rows = connection.execute(f"SELECT {_COLUMNS} FROM feedback ORDER BY id").fetchall()
        return [from_row(row) for row in rows]


def from_row(row: tuple[Any, ...]) -> StoredFeedback:
    row_id, stored_at, rating, question, answer, comment, citations, backend = row[:8]
    search_query, refused, degraded, user = row[8:]
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
        user=user,
    )
    return StoredFeedback(row_id, stored_at, entry)
