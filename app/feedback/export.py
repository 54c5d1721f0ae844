"""Feedback as JSON Lines or CSV for evaluators (pure functions over stored records)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from app.feedback.store import StoredFeedback

CSV_COLUMNS = (
    "id",
    "stored_at",
    "rating",
    "question",
    "answer",
    "comment",
    "backend",
    "search_query",
    "refused",
    "degraded",
    "citations",
    "user",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_record(item: StoredFeedback) -> dict[str, Any]:
    entry = item.entry
    return {
        "id": item.id,
        "stored_at": item.stored_at,
        "rating": entry.rating,
        "question": entry.question,
        "answer": entry.answer,
        "comment": entry.comment,
        "backend": entry.backend,
        "search_query": entry.search_query,
        "refused": entry.refused,
        "degraded": entry.degraded,
        "citations": list(entry.citations),
        "user": entry.user,
    }


# Line ends besides "\n" that readers split on (Python's str.splitlines, JavaScript before
# ES2019): json.dumps leaves them raw inside strings, so a record would span two lines.
_LINE_ENDS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def to_jsonl(items: Iterable[StoredFeedback]) -> str:
    """One record per line, whatever line ends its texts hold."""
    return "".join(
        json.dumps(as_record(item), ensure_ascii=False).translate(_LINE_ENDS) + "\n"
        for item in items
    )


def _citation_label(citation: dict[str, Any]) -> str:
    ref = citation.get("ref")
    return f"[{ref}] {citation['chunk_id']}" if ref is not None else str(citation["chunk_id"])


def _safe_cell(value: object) -> str:
    text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(items: Sequence[StoredFeedback]) -> str:
    """One row per answer; citations as '[n] chunk_id' joined by '; '."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        record = as_record(item)
        record["citations"] = "; ".join(_citation_label(c) for c in record["citations"])
        writer.writerow([_safe_cell(record[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()
