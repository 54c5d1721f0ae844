"""The feedback database locked, read-only or full: answers still come back, feedback gets a
clear 503, and once the fault clears, writes work again (no restart). Real faults only."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.feedback.store import FEEDBACK_FILE, FeedbackEntry, FeedbackStore
from app.service import QuestionAnswering
from app.settings import Settings
from tests.app.apps import app_client

FEEDBACK = {
    "question": "Vad är NB8?",
    "answer": "De nordiska och baltiska länderna. [1]",
    "rating": "up",
    "backend": "extractive",
}
ASK = {"question": "Vad är NB8?"}


def _unavailable(client: TestClient, body: dict[str, object] = FEEDBACK) -> str:
    response = client.post("/feedback", json=body)
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "feedback_unavailable" and response.headers["retry-after"]
    assert "Traceback" not in response.text
    assert client.post("/ask", json=ASK).status_code == 200, "answers still come back"
    assert client.get("/health").status_code == 200
    return str(error["message"])


def _rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM feedback").fetchone()[0])


@pytest.mark.slow
def test_locked_database(settings: Settings, qa: QuestionAnswering, tmp_path: Path) -> None:
    with app_client(settings, qa, data_dir=tmp_path, feedback_busy_timeout_s=0.3) as client:
        assert client.post("/feedback", json=FEEDBACK).status_code == 201
        locker = sqlite3.connect(tmp_path / FEEDBACK_FILE, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            assert "locked" in _unavailable(client)
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert client.post("/feedback", json=FEEDBACK).status_code == 201
    assert _rows(tmp_path / FEEDBACK_FILE) == 2


@pytest.mark.slow
def test_data_directory_replaced_by_a_file(
    settings: Settings, qa: QuestionAnswering, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.write_text("a file where the data directory should be")
    with app_client(settings, qa, data_dir=data_dir) as client:
        _unavailable(client)
        assert client.get("/feedback/export").status_code == 503
        data_dir.unlink()  # the operator fixes it; no restart
        assert client.post("/feedback", json=FEEDBACK).status_code == 201
    assert _rows(data_dir / FEEDBACK_FILE) == 1


@pytest.mark.slow
def test_database_full(settings: Settings, qa: QuestionAnswering, tmp_path: Path) -> None:
    """RAG_FEEDBACK_MAX_MB caps the file (SQLite's max_page_count): SQLITE_FULL, for real."""
    big = {**FEEDBACK, "answer": "Svar. [1] " + "å" * 15_000, "comment": "k" * 2000}
    with app_client(settings, qa, data_dir=tmp_path, feedback_max_mb=0.2) as client:
        statuses = [client.post("/feedback", json=big).status_code for _ in range(30)]
        assert 201 in statuses and 503 in statuses
        assert statuses.index(503) == statuses.count(201), "full stays full"
        assert "full" in _unavailable(client, big)
        stored = _rows(tmp_path / FEEDBACK_FILE)
        with sqlite3.connect(tmp_path / FEEDBACK_FILE) as connection:  # room is made
            connection.execute("DELETE FROM feedback WHERE id <= 3")
        assert client.post("/feedback", json=big).status_code == 201
        export = client.get("/feedback/export")
        assert export.status_code == 200
        assert len(export.text.splitlines()) == stored - 3 + 1


@contextmanager
def _tmpfs(target: Path, size: str) -> Iterator[Path]:
    target.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.mark.slow
def test_read_only_and_full_file_system(
    settings: Settings, qa: QuestionAnswering, tmp_path: Path
) -> None:
    """A tiny tmpfs: remounted read-only (EROFS even for root), then filled (ENOSPC)."""
    with _tmpfs(tmp_path / "fs", "256k") as data_dir:
        with app_client(settings, qa, data_dir=data_dir) as client:
            assert client.post("/feedback", json=FEEDBACK).status_code == 201
            remount = ["mount", "-o", "remount,ro", str(data_dir)]
            subprocess.run(remount, check=True)
            _unavailable(client)
            subprocess.run(["mount", "-o", "remount,rw", str(data_dir)], check=True)
            assert client.post("/feedback", json=FEEDBACK).status_code == 201

            filler = data_dir / "filler"
            with filler.open("wb", buffering=0) as handle:
                try:
                    while handle.write(b"\0" * 4096):
                        pass
                except OSError:  # ENOSPC: the file system is full
                    pass
            big = {**FEEDBACK, "answer": "Svar. [1] " + "x" * 15_000}
            statuses = [client.post("/feedback", json=big).status_code for _ in range(5)]
            assert statuses[-1] == 503
            filler.unlink()
            assert client.post("/feedback", json=FEEDBACK).status_code == 201
            rows = client.get("/feedback/export").text.splitlines()
            assert len(rows) == 3 + statuses.count(201)


def test_an_old_database_gains_the_user_column(tmp_path: Path) -> None:
    path = tmp_path / FEEDBACK_FILE
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, stored_at TEXT NOT "
            "NULL, rating TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, comment "
            "TEXT, citations TEXT NOT NULL, backend TEXT NOT NULL, search_query TEXT, refused "
            "INTEGER NOT NULL, degraded INTEGER NOT NULL)"
        )
        connection.execute(
            "INSERT INTO feedback (stored_at, rating, question, answer, comment, citations, "
            "backend, search_query, refused, degraded) VALUES "
            "('2026-01-01T00:00:00+00:00', 'up', 'F?', 'S. [1]', NULL, '[]', 'extractive', "
            "NULL, 0, 0)"
        )
    store = FeedbackStore(path)
    entry = FeedbackEntry("Ny?", "Svar. [1]", "down", None, (), "extractive", user="anna")
    store.add(entry)
    old, new = store.all()
    assert old.entry.user is None and old.entry.question == "F?"
    assert new.entry.user == "anna" and new.id == 2
    with sqlite3.connect(path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(feedback)")]
    assert columns[-1] == "user"
    assert json.loads(json.dumps(store.all()[1].entry.user)) == "anna"


def test_first_writes_racing_on_a_new_file_all_land(tmp_path: Path) -> None:
    """Four readers rating at once right after the service started: the file is created and
    switched to WAL under their feet (this lost one rating in 30 before the switch retried)."""
    entry = FeedbackEntry("Vad är NB8?", "Svar. [1]", "up", None, (), "extractive")
    for trial in range(60):
        store = FeedbackStore(tmp_path / str(trial) / FEEDBACK_FILE)
        start = threading.Barrier(4)

        def rate(store: FeedbackStore = store, start: threading.Barrier = start) -> None:
            start.wait()
            store.add(entry)

        with ThreadPoolExecutor(4) as pool:
            for future in [pool.submit(rate) for _ in range(4)]:
                future.result()  # raises FeedbackStoreError if a write was lost
        assert len(store.all()) == 4
