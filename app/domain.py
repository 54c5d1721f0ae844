"""Frozen data types that travel between retrieval, backends and the HTTP edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from indexer.documents import Chunk
from indexer.language import Language

Role = Literal["user", "assistant"]


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk as the answer cites it: `[ref]`, 1-based."""

    ref: int
    chunk: Chunk
    score: float
    sentence_vectors: np.ndarray = field(repr=False, compare=False)


@dataclass(frozen=True)
class PartRequest:
    """One part of a question that asks two things, retrieved for on its own."""

    text: str
    document: str | None
    # The passages (their refs in the request, best first) retrieved for this part.
    refs: tuple[int, ...]
    vector: np.ndarray = field(repr=False, compare=False)
    terms: tuple[str, ...] = ()


@dataclass(frozen=True)
class UnansweredParts:
    """A question asked in parts whose passages answer some parts, not all."""

    # The parts not answered, said so: what the answer opens with.
    notice: str
    # The parts that are answered, as one question: what a model is asked.
    answered: str


@dataclass(frozen=True)
class EvidenceUnit:
    """What a prompt shows instead of a whole passage: the part of it that answers."""

    ref: int
    doc_id: str
    section: str
    text: str


@dataclass(frozen=True)
class TokenUsage:
    """Tokens a language model reported reading (prompt) and writing (completion)."""

    prompt_tokens: int
    completion_tokens: int


class UsageMeter:
    """Collects what the language model reports for one answer's calls; None until it
    reports (the extractive backend never does, nor does a server whose stream omits it)."""

    def __init__(self) -> None:
        self.reported: TokenUsage | None = None

    def add(self, usage: TokenUsage) -> None:
        before = self.reported or TokenUsage(0, 0)
        self.reported = TokenUsage(
            before.prompt_tokens + usage.prompt_tokens,
            before.completion_tokens + usage.completion_tokens,
        )


@dataclass(frozen=True)
class GenerationRequest:
    question: str
    language: Language
    passages: tuple[Passage, ...]
    question_vector: np.ndarray = field(repr=False, compare=False)
    question_terms: tuple[str, ...] = ()
    history: tuple[Turn, ...] = ()
    search_query: str = ""
    # Two or more when the question asks two things (each answered, and cited, on its own).
    parts: tuple[PartRequest, ...] = ()
    # Set for a backend whose prompt shows answer units, not whole passages.
    evidence: tuple[EvidenceUnit, ...] = ()
    # Shared by the copies a backend gets (dataclasses.replace keeps the same meter).
    usage: UsageMeter = field(default_factory=UsageMeter, repr=False, compare=False)


@dataclass(frozen=True)
class Generation:
    text: str
    refused: bool
    cited_refs: tuple[int, ...]
    degraded: bool = False
    # Sentences of a generated answer that carry no valid [n] (the extractive backend has none).
    unsupported_sentences: tuple[str, ...] = ()
