"""What the service returns: results and the events of one answer (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain import Generation, Passage, TokenUsage
from indexer.documents import Chunk


@dataclass(frozen=True)
class Timings:
    rewrite_ms: float
    retrieval_ms: float
    generation_ms: float
    total_ms: float
    first_token_ms: float | None = None


@dataclass(frozen=True)
class AskResult:
    search_query: str
    generation: Generation
    passages: tuple[Passage, ...]
    backend: str
    timings: Timings
    # What the language model reported for the answer it wrote (None: it reported nothing,
    # or the answer is extractive, degraded included).
    usage: TokenUsage | None = None


@dataclass(frozen=True)
class SearchResult:
    search_query: str
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class ChunkContext:
    chunk: Chunk
    previous: Chunk | None
    following: Chunk | None


@dataclass(frozen=True)
class CitationsEvent:
    passages: tuple[Passage, ...]
    search_query: str
    backend: str


@dataclass(frozen=True)
class DeltaEvent:
    text: str


@dataclass(frozen=True)
class DoneEvent:
    result: AskResult


AskEvent = CitationsEvent | DeltaEvent | DoneEvent
