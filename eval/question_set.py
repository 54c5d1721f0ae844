"""Loading and validation of the evaluation question set.

The question set lives in ``eval/questions.jsonl``: one JSON object per line with the
fields of :class:`QuestionItem`. This module is a pure library: it parses and validates
the file (:func:`load_questions`) and cross-checks the items against the corpus texts
(:func:`check_questions`). Quotes are compared after :func:`normalize_for_match`, which
undoes the artefacts of PDF extraction and Markdown escaping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

QuestionType = Literal[
    "factoid",
    "list",
    "paraphrase",
    "multi_doc",
    "unanswerable",
    "english",
    "numeric",
    "follow_up",
]
Role = Literal["user", "assistant"]

QUESTION_TYPES: Final[frozenset[str]] = frozenset(get_args(QuestionType))
ROLES: Final[frozenset[str]] = frozenset(get_args(Role))
FIELDS: Final[tuple[str, ...]] = (
    "id",
    "type",
    "question",
    "reference_answer",
    "key_terms",
    "evidence",
    "history",
    "section",
)
# Optional: the id of the question an item rewords; a group of rewordings should get one decision.
OPTIONAL_FIELDS: Final[tuple[str, ...]] = ("rewords",)
EVIDENCE_FIELDS: Final[frozenset[str]] = frozenset({"doc_id", "quote"})
TURN_FIELDS: Final[frozenset[str]] = frozenset({"role", "content"})

MIN_ITEMS: Final = 80
MIN_QUOTE_WORDS: Final = 5
MAX_QUOTE_WORDS: Final = 30
MAX_KEY_TERMS: Final = 4
UNANSWERABLE_ANSWER: Final = "Det framgår inte av dokumenten."

# Corpus file name for each document id.
DOCUMENT_FILES: Final[Mapping[str, str]] = {
    "strategi": "strategi.txt",
    "pressmeddelande": "pressmeddelande.md",
}

# A backslash before any ASCII punctuation character is a Markdown escape.
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# A line holding nothing but a number is a page number from the PDF extraction.
_PAGE_NUMBER_LINE = re.compile(r"^[ \t]*\d+[ \t]*$", re.MULTILINE)
# A hyphen directly at the end of a line (no trailing space) continues the word on the next
# non-blank line: "AI-" + "kapplöpning" -> "AI-kapplöpning". "säkerhets- " keeps its space.
_HYPHEN_WRAP = re.compile(r"(?<=\S)-\n\s*")
_WHITESPACE = re.compile(r"\s+")


def normalize_for_match(text: str) -> str:
    """Normalise raw document text (or a quote) for exact-substring matching.

    Removes Markdown backslash escapes, drops page-number lines, joins words hyphenated
    across a line wrap, collapses every run of whitespace into one space and strips.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _MARKDOWN_ESCAPE.sub(r"\1", text)
    text = _PAGE_NUMBER_LINE.sub("", text)
    text = _HYPHEN_WRAP.sub("-", text)
    return _WHITESPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Evidence:
    """A verbatim quote supporting an answer."""

    doc_id: str
    quote: str


@dataclass(frozen=True)
class Turn:
    """One earlier turn of the conversation (for follow-up questions)."""

    role: Role
    content: str


@dataclass(frozen=True)
class QuestionItem:
    """One evaluation question with its reference answer and supporting evidence."""

    id: str
    type: QuestionType
    question: str
    reference_answer: str
    key_terms: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    history: tuple[Turn, ...]
    section: str
    rewords: str | None = None

    @property
    def group(self) -> str:
        """The rewording group: the original question's id (its own for an original)."""
        return self.rewords or self.id

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


def _fail(where: str, field: str, message: str) -> ValueError:
    return ValueError(f"{where}: field {field!r}: {message}")


def _non_empty_str(value: Any, where: str, field: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, field, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise _fail(where, field, "must not be empty")
    return value


def _list(value: Any, where: str, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, field, f"expected a list, got {type(value).__name__}")
    return value


def _object(value: Any, where: str, field: str, expected: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, field, f"expected an object, got {type(value).__name__}")
    keys = set(value)
    if keys != expected:
        missing = sorted(expected - keys)
        extra = sorted(keys - expected)
        raise _fail(where, field, f"wrong keys (missing {missing}, unexpected {extra})")
    return cast(dict[str, Any], value)


def _parse_item(raw: Any, where: str) -> QuestionItem:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(raw).__name__}")
    for name in FIELDS:
        if name not in raw:
            raise _fail(where, name, "missing")
    extra = sorted(set(raw) - set(FIELDS) - set(OPTIONAL_FIELDS))
    if extra:
        raise _fail(where, extra[0], "unknown field")

    qtype = _non_empty_str(raw["type"], where, "type")
    if qtype not in QUESTION_TYPES:
        raise _fail(where, "type", f"unknown type {qtype!r}")

    key_terms = tuple(
        _non_empty_str(term, where, f"key_terms[{i}]")
        for i, term in enumerate(_list(raw["key_terms"], where, "key_terms"))
    )

    evidence: list[Evidence] = []
    for i, entry in enumerate(_list(raw["evidence"], where, "evidence")):
        name = f"evidence[{i}]"
        obj = _object(entry, where, name, EVIDENCE_FIELDS)
        evidence.append(
            Evidence(
                doc_id=_non_empty_str(obj["doc_id"], where, f"{name}.doc_id"),
                quote=_non_empty_str(obj["quote"], where, f"{name}.quote"),
            )
        )

    history: list[Turn] = []
    for i, entry in enumerate(_list(raw["history"], where, "history")):
        name = f"history[{i}]"
        obj = _object(entry, where, name, TURN_FIELDS)
        role = _non_empty_str(obj["role"], where, f"{name}.role")
        if role not in ROLES:
            raise _fail(where, f"{name}.role", f"unknown role {role!r}")
        content = _non_empty_str(obj["content"], where, f"{name}.content")
        history.append(Turn(role=cast(Role, role), content=content))

    return QuestionItem(
        id=_non_empty_str(raw["id"], where, "id"),
        type=cast(QuestionType, qtype),
        question=_non_empty_str(raw["question"], where, "question"),
        reference_answer=_non_empty_str(raw["reference_answer"], where, "reference_answer"),
        key_terms=key_terms,
        evidence=tuple(evidence),
        history=tuple(history),
        section=_non_empty_str(raw["section"], where, "section"),
        rewords=_non_empty_str(raw["rewords"], where, "rewords") if "rewords" in raw else None,
    )


def load_questions(path: str | Path) -> list[QuestionItem]:
    """Parse and validate a question file (JSON Lines, UTF-8).

    Blank lines are skipped. Raises ``ValueError`` naming the line number and the field
    on the first malformed line (invalid JSON, missing or unknown field, wrong type,
    empty text, unknown question type or role, duplicate id).
    """
    path = Path(path)
    items: list[QuestionItem] = []
    first_line: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: invalid JSON: {exc.msg}") from exc
            item = _parse_item(raw, where)
            if item.id in first_line:
                raise _fail(
                    where, "id", f"duplicate id {item.id!r} (first on line {first_line[item.id]})"
                )
            first_line[item.id] = number
            items.append(item)
    return items


def load_documents(corpus_dir: str | Path) -> dict[str, str]:
    """Read the corpus documents as raw text, keyed by document id."""
    corpus = Path(corpus_dir)
    return {
        doc_id: (corpus / name).read_text(encoding="utf-8")
        for doc_id, name in DOCUMENT_FILES.items()
    }


def _check_item(item: QuestionItem, normalized: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    label = f"{item.id} ({item.type})"

    if item.answerable:
        if not item.evidence:
            problems.append(f"{label}: answerable item has no evidence")
        if not 1 <= len(item.key_terms) <= MAX_KEY_TERMS:
            problems.append(
                f"{label}: needs 1-{MAX_KEY_TERMS} key terms, has {len(item.key_terms)}"
            )
    else:
        if item.evidence:
            problems.append(f"{label}: unanswerable item has evidence")
        if item.key_terms:
            problems.append(f"{label}: unanswerable item has key terms")
        if item.reference_answer != UNANSWERABLE_ANSWER:
            problems.append(f"{label}: reference answer must be {UNANSWERABLE_ANSWER!r}")

    quotes: list[str] = []
    for i, ev in enumerate(item.evidence):
        quote = normalize_for_match(ev.quote)
        quotes.append(quote)
        if ev.doc_id not in normalized:
            problems.append(f"{label}: evidence[{i}] has unknown doc_id {ev.doc_id!r}")
            continue
        if quote not in normalized[ev.doc_id]:
            problems.append(f"{label}: evidence[{i}] quote not found in {ev.doc_id!r}: {quote!r}")
        words = len(quote.split())
        if not MIN_QUOTE_WORDS <= words <= MAX_QUOTE_WORDS:
            problems.append(
                f"{label}: evidence[{i}] quote has {words} words "
                f"(expected {MIN_QUOTE_WORDS}-{MAX_QUOTE_WORDS})"
            )

    folded_quotes = [quote.casefold() for quote in quotes]
    folded_answer = normalize_for_match(item.reference_answer).casefold()
    for term in item.key_terms:
        folded = normalize_for_match(term).casefold()
        if not any(folded in quote for quote in folded_quotes):
            problems.append(f"{label}: key term {term!r} not found in any evidence quote")
        if folded not in folded_answer:
            problems.append(f"{label}: key term {term!r} not found in the reference answer")

    if item.type == "multi_doc" and len({ev.doc_id for ev in item.evidence}) < 2:
        problems.append(f"{label}: multi_doc item must cite at least two documents")
    if item.type == "follow_up" and not item.history:
        problems.append(f"{label}: follow_up item has no history")
    if item.type != "follow_up" and item.history:
        problems.append(f"{label}: only follow_up items may have a history")
    return problems


def check_questions(items: Sequence[QuestionItem], documents: Mapping[str, str]) -> list[str]:
    """Cross-check question items against the raw corpus documents.

    Returns human-readable problems; an empty list means the set is consistent.
    """
    problems: list[str] = []
    if len(items) < MIN_ITEMS:
        problems.append(f"only {len(items)} items, expected at least {MIN_ITEMS}")

    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            problems.append(f"{item.id}: duplicate id")
        seen.add(item.id)

    normalized = {doc_id: normalize_for_match(text) for doc_id, text in documents.items()}
    for item in items:
        problems.extend(_check_item(item, normalized))
    return problems
