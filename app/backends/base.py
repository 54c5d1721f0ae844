"""The backend Protocol and the registry that maps names to backends."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from app.models import Generation, GenerationRequest


class LLMBackend(Protocol):
    """Writes a cited answer from numbered passages.

    >>> backend = registry.get("extractive")
    >>> generation = backend.generate(request)
    >>> generation.text
    'Sverige ska föra en solidarisk politik inom EU och Nato. [1]'
    >>> "".join(backend.stream(request)) == generation.text
    True
    """

    name: str

    def generate(self, request: GenerationRequest) -> Generation: ...

    def stream(self, request: GenerationRequest) -> Iterator[str]: ...


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

    def get(self, name: str | None) -> LLMBackend:
        backend = self._backends.get(name or self.default)
        if backend is None:
            raise UnknownBackendError(str(name), self.names)
        return backend
