"""Answer units: what an extractive answer quotes, as the documents' structure gives it (pure).

A unit is one sentence; a list (its lead-in, or its heading, with every item, each cited);
or a sentence with the next one when the next refers back to it ("… en diplomatisk
verktygslåda …" + "Verktygslådan omfattar …"). Headings and signature lines are context for
a unit, never a unit of their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from app.domain import EvidenceUnit
from indexer.documents import SECTION_SEPARATOR, SentenceRole

UnitKind = Literal["sentence", "list", "pair"]

# A sentence that opens with one of these refers back to the one before it.
_ANAPHORS = frozenset(
    "den det de dessa detta denna där då sedan därför därmed härigenom "
    "this these that those it they".split()
)
_WORD = re.compile(r"[\wåäöéÅÄÖÉ]+")
# Swedish definite endings: "verktygslåda" → "Verktygslådan", "normer" → "normerna".
_DEFINITE = re.compile(r"(n|en|et|na|erna|arna|orna)$")
_MIN_STEM = 5


@dataclass(frozen=True)
class CandidateSentence:
    ref: int
    passage_rank: int
    doc_order: int
    offset: int
    text: str
    vector: np.ndarray
    # The passage's heading path: evidence for coverage, never quoted in the answer.
    context: str = ""
    role: SentenceRole = "sentence"
    doc_id: str = ""
    # Position of the sentence in its passage: units never join across passages' gaps.
    index: int = 0


@dataclass(frozen=True)
class AnswerUnit:
    kind: UnitKind
    members: tuple[CandidateSentence, ...]
    # The list's lead-in sentence, or its heading when the list follows a heading directly.
    lead: CandidateSentence | None = None
    lead_heading: str = ""
    # Signature lines that follow the unit ("Maria Malmer Stenergard", "Utrikesminister").
    signature: str = ""

    @property
    def first(self) -> CandidateSentence:
        return self.lead or self.members[0]

    @property
    def parts(self) -> tuple[CandidateSentence, ...]:
        return ((self.lead,) if self.lead else ()) + self.members

    @property
    def passage_rank(self) -> int:
        return min(p.passage_rank for p in self.parts)

    @property
    def doc_id(self) -> str:
        return self.first.doc_id

    @property
    def context(self) -> str:
        return self.first.context

    @property
    def order(self) -> tuple[int, int]:
        return (self.first.doc_order, self.first.offset)

    @property
    def text(self) -> str:
        """Everything the unit says, signature included: what scoring reads."""
        head = self.lead_heading + ":" if self.lead_heading and not self.lead else ""
        body = " ".join(p.text for p in self.parts)
        return " ".join(x for x in (head, body, self.signature) if x)

    @property
    def statements(self) -> list[str]:
        """Each sentence on its own (a signature with the one it signs): what type checks read,
        so that the first word of a second sentence does not pass for a name."""
        texts = [p.text for p in self.parts]
        if self.signature:
            texts[-1] = f"{texts[-1]} {self.signature}"
        return texts

    @property
    def offsets(self) -> frozenset[tuple[str, int]]:
        return frozenset((p.doc_id, p.offset) for p in self.parts)

    @property
    def refs(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(p.ref for p in self.parts))

    def render(self) -> str:
        """The unit as the answer shows it, every statement and every item cited."""
        if self.kind == "list":
            lead = f"{self.lead.text} [{self.lead.ref}]" if self.lead else f"{self.lead_heading}:"
            items = "\n".join(f"- {m.text} [{m.ref}]" for m in self.members)
            return f"{lead}\n{items}"
        pieces = [f"{m.text} [{m.ref}]" for m in self.members]
        if self.signature:
            last = self.members[-1]
            pieces[-1] = f"{last.text} – {self.signature} [{last.ref}]"
        return " ".join(pieces)


def refers_back(previous: str, sentence: str) -> bool:
    """Whether `sentence` continues `previous`: it opens with a pronoun, or with the definite
    form of a word that `previous` introduced ("… verktygslåda …" → "Verktygslådan …")."""
    words = _WORD.findall(sentence)
    if not words:
        return False
    first = words[0].lower()
    if first in _ANAPHORS:
        return True
    if len(first) < _MIN_STEM + 1 or not _DEFINITE.search(first):
        return False
    bare = _DEFINITE.sub("", first)
    return any(w.lower().startswith(bare) for w in _WORD.findall(previous) if len(w) >= _MIN_STEM)


def _by_passage(candidates: Sequence[CandidateSentence]) -> list[list[CandidateSentence]]:
    groups: dict[int, list[CandidateSentence]] = {}
    for c in candidates:
        groups.setdefault(c.ref, []).append(c)
    return [sorted(g, key=lambda c: c.index) for g in groups.values()]


def _heading_of(context: str) -> str:
    return context.split(SECTION_SEPARATOR)[-1] if context else ""


def build_units(candidates: Sequence[CandidateSentence]) -> list[AnswerUnit]:
    """Every unit the passages offer: each statement or item alone, each list whole (items
    of one list found in several passages are merged), each sentence with its continuation."""
    units: list[AnswerUnit] = []
    lists: dict[tuple[str, str, int], list[CandidateSentence]] = {}
    leads: dict[tuple[str, str, int], CandidateSentence] = {}
    for passage in _by_passage(candidates):
        for i, c in enumerate(passage):
            if c.role in ("signature", "lead_in"):
                continue
            following = passage[i + 1 :]
            signature = []
            for nxt in following:
                if nxt.role != "signature":
                    break
                signature.append(nxt.text)
            units.append(AnswerUnit("sentence", (c,), signature=", ".join(signature)))
            if (
                following
                and following[0].role == "sentence"
                and c.role == "sentence"
                and refers_back(c.text, following[0].text)
            ):
                units.append(AnswerUnit("pair", (c, following[0])))
        # A run of items is one list; its key is where the list starts in its document, so
        # the parts of a list cut into several passages come together.
        run: list[CandidateSentence] = []
        lead: CandidateSentence | None = None
        for item in [*passage, None]:
            if item is not None and item.role == "item":
                run.append(item)
                continue
            if run:
                # One list per heading in these documents; a lead-in gives a list inside
                # a section its own key.
                key = (run[0].doc_id, run[0].context, lead.offset if lead else -1)
                lists.setdefault(key, []).extend(run)
                if lead is not None:
                    leads[key] = lead
                run = []
            lead = item if item is not None and item.role == "lead_in" else None
    for key, items in lists.items():
        # An item two passages share (their overlap) cites the better-ranked one.
        first: dict[int, CandidateSentence] = {}
        for item in items:
            first.setdefault(item.offset, item)
        unique = sorted(first.values(), key=lambda i: i.offset)
        lead = leads.get(key)
        heading = "" if lead else _heading_of(unique[0].context)
        units.append(AnswerUnit("list", tuple(unique), lead=lead, lead_heading=heading))
    return units


def evidence_blocks(units: Sequence[AnswerUnit], budget_chars: int) -> list[EvidenceUnit]:
    """The units as a prompt shows them, best first, gathered under the passage each line
    comes from (one block per passage), until `budget_chars` are used; the first line
    always goes in."""
    lines: dict[int, list[str]] = {}
    where: dict[int, tuple[str, str]] = {}
    used = 0
    seen: set[tuple[str, int]] = set()
    for unit in units:
        if unit.offsets & seen:
            continue
        seen |= unit.offsets
        texts: list[tuple[int, str]] = []
        if unit.kind == "list" and unit.lead is None and unit.lead_heading:
            texts.append((unit.members[0].ref, f"{unit.lead_heading}:"))
        for part in unit.parts:
            prefix = "- " if unit.kind == "list" and part.role == "item" else ""
            texts.append((part.ref, prefix + part.text))
        if unit.signature:
            ref, last = texts[-1]
            texts[-1] = (ref, f"{last} {unit.signature}")
        for ref, text in texts:
            if used + len(text) > budget_chars and used:
                return _blocks(lines, where)
            lines.setdefault(ref, []).append(text)
            where.setdefault(ref, (unit.doc_id, unit.context))
            used += len(text)
    return _blocks(lines, where)


def _blocks(lines: dict[int, list[str]], where: dict[int, tuple[str, str]]) -> list[EvidenceUnit]:
    return [
        EvidenceUnit(ref, where[ref][0], where[ref][1], "\n".join(texts))
        for ref, texts in lines.items()
    ]
