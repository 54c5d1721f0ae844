"""The roles a backend can play, each one small Protocol, and the registry by name."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from app.domain import EvidenceUnit, Generation, GenerationRequest, Turn, UnansweredParts


class LLMBackend(Protocol):
    """Writes an answer from the numbered passages of the request, as the model's own text.

    >>> backend = OpenAIBackend(httpx.AsyncClient(base_url=url), options, templates)
    >>> await backend.generate(request)
    'Sverige ska föra en solidarisk politik inom EU och Nato [1].'
    >>> "".join([delta async for delta in backend.stream(request)])
    'Sverige ska föra en solidarisk politik inom EU och Nato [1].'
    >>> await backend.aclose()

    The text is not post-processed: the service checks it (markers, support, leaks) the same
    way for both calls. Both raise `BackendUnavailable` when the backend cannot answer (down,
    too slow, garbage); the service then answers with the fallback, marked `degraded`.
    `request.passages` are exactly the passages the prompt may show and cite.
    """

    name: str

    async def generate(self, request: GenerationRequest) -> str: ...

    def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]: ...

    async def aclose(self) -> None:
        """Closes what the backend holds open (an HTTP connection pool)."""
        ...


class QuestionRewriter(Protocol):
    """Turns a follow-up into a standalone question for retrieval."""

    async def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


@dataclass(frozen=True)
class Doubt:
    """The gate let a question through by a narrow margin: its best evidence, and what to
    say if a closer look finds that the evidence does not answer."""

    evidence: str
    refusal: str


class EvidenceGate(Protocol):
    """Says, before any model is asked, when the passages cannot answer the question."""

    def refusal(self, request: GenerationRequest) -> str | None: ...

    def unanswered(self, request: GenerationRequest) -> UnansweredParts | None:
        """For a question asked in parts it lets through: the parts the passages do not
        answer (None: they answer every part)."""
        ...

    def doubt(self, request: GenerationRequest, band: float) -> Doubt | None:
        """For a question let through within `band` of the gate's threshold, its best unit."""
        ...


class AnswerabilityCheck(Protocol):
    """A model's yes/no on whether a text answers a question (None: no clear answer)."""

    async def answerable(self, question: str, evidence: str) -> bool | None: ...


class EvidenceSelector(Protocol):
    """Chooses what a prompt shows of the passages: the units that answer, within a budget."""

    def select(self, request: GenerationRequest) -> tuple[EvidenceUnit, ...]: ...


class FallbackAnswerer(Protocol):
    """Answers from the passages alone, without failing, when the chosen backend cannot."""

    def answer(self, request: GenerationRequest) -> Generation: ...


class BackendUnavailable(Exception):
    """The backend gave no usable answer: the reason is logged, the user gets a fallback."""


class UnknownBackendError(ValueError):
    def __init__(self, name: str, valid: list[str]) -> None:
        super().__init__(f"unknown backend '{name}'; valid backends: {', '.join(valid)}")
        self.name = name
        self.valid = valid


EntryT = TypeVar("EntryT")


class Registry(Generic[EntryT]):
    """Entries by name, with a default; an unknown name lists the valid ones."""

    def __init__(self, entries: Mapping[str, EntryT], default: str) -> None:
        if default not in entries:
            raise UnknownBackendError(default, sorted(entries))
        self._entries = dict(entries)
        self.default = default

    @property
    def names(self) -> list[str]:
        return sorted(self._entries)

    def values(self) -> list[EntryT]:
        return list(self._entries.values())

    def get(self, name: str | None) -> EntryT:
        entry = self._entries.get(name or self.default)
        if entry is None:
            raise UnknownBackendError(str(name), self.names)
        return entry
