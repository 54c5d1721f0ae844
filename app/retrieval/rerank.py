"""Optional cross-encoder reranking of the fused candidates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Reranker(Protocol):
    """Scores (query, passage) pairs; higher is more relevant.

    >>> reranker = CrossEncoderReranker("BAAI/bge-reranker-base")
    >>> reranker.score("Vad gör OSSE?", ["OSSE har antagit 16 åtgärder."])
    [2.7]
    """

    name: str

    def score(self, query: str, passages: Sequence[str]) -> list[float]: ...


class RerankerError(Exception):
    """The configured reranker cannot be loaded; the message says how to fix it."""


class CrossEncoderReranker:
    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as exc:
            raise RerankerError(
                "RAG_RERANKER_MODEL needs sentence-transformers: pip install -e '.[st]'"
            ) from exc
        try:
            self._model = CrossEncoder(model, device="cpu")
        except Exception as exc:  # the library raises many kinds for a bad name or path
            raise RerankerError(
                f"cannot load reranker '{model}' ({type(exc).__name__}); set "
                "RAG_RERANKER_MODEL to a local cross-encoder folder or leave it empty"
            ) from exc
        self.name = model

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        scores = self._model.predict([(query, passage) for passage in passages])
        return [float(s) for s in scores]
