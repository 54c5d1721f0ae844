"""The backend Protocol and the registry that maps names to backends."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Protocol, runtime_checkable

from app.models import Generation, GenerationRequest, Turn


class LLMBackend(Protocol):
    """Writes a cited answer from numbered passages.

    >>> backend = registry.get("extractive")
    >>> generation = await backend.generate(request)
    >>> generation.text
    'Sverige ska föra en solidarisk politik inom EU och Nato [1].'
    >>> "".join([delta async for delta in backend.stream(request)]) == generation.text
    True

    Both calls raise `BackendUnavailable` when the backend cannot answer (down, too slow,
    garbage); the service then answers extractively with `degraded: true`.
    """

    name: str

    async def generate(self, request: GenerationRequest) -> Generation: ...

    def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]: ...


@runtime_checkable
class QuestionRewriter(Protocol):
    """A backend that can turn a follow-up into a standalone question itself."""

    async def rewrite(self, question: str, history: Sequence[Turn]) -> str: ...


class BackendUnavailable(Exception):
    """The backend gave no usable answer: the reason is logged, the user gets a fallback."""


class UnknownBackendError(ValueError):
    def __init__(self, name: str, valid: list[str]) -> None:
        super().__init__(f"unknown backend '{name}'; valid backends: {', '.join(valid)}")
        self.name = name
        self.valid = valid


class BackendRegistry:
    def __init__(self, backends: Mapping[str, LLMBackend], default: str) -> None:
        if default not in backends:
            raise UnknownBackendError(default, sorted(backends))
        self._backends = dict(backends)
        self.default = default

    @property
    def names(self) -> list[str]:
        return sorted(self._backends)

    async def aclose(self) -> None:
        """Closes what the backends hold open (HTTP connection pools)."""
        for backend in self._backends.values():
            close = getattr(backend, "aclose", None)
            if close is not None:
                await close()

    def get(self, name: str | None) -> LLMBackend:
        backend = self._backends.get(name or self.default)
        if backend is None:
            raise UnknownBackendError(str(name), self.names)
        return backend
