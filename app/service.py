"""One question's way through the system: retrieval → passages → backend → answer."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from app.answer.language import detect_language
from app.backends.base import BackendRegistry
from app.models import Generation, GenerationRequest, Passage, Turn
from app.retrieval.pipeline import Mode, Retrieval, Retriever
from indexer.store import LoadedStore


@dataclass(frozen=True)
class Timings:
    retrieval_ms: float
    generation_ms: float
    total_ms: float


@dataclass(frozen=True)
class AskResult:
    question: str
    generation: Generation
    passages: tuple[Passage, ...]
    backend: str
    timings: Timings
    retrieval: Retrieval


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


class QuestionAnswering:
    def __init__(self, store: LoadedStore, retriever: Retriever, backends: BackendRegistry) -> None:
        self.store = store
        self.retriever = retriever
        self.backends = backends
        self.chunk_positions = store.chunk_position()

    def search(self, query: str, k: int, mode: Mode = "hybrid") -> list[Passage]:
        return self._passages(self.retriever.retrieve(query, k, mode))

    def _passages(self, retrieval: Retrieval) -> list[Passage]:
        passages = []
        for ref, scored in enumerate(retrieval.passages, start=1):
            first = self.store.sentence_rows[scored.position]
            vectors = self.store.sentence_vectors[first : first + len(scored.chunk.sentences)]
            passages.append(Passage(ref, scored.chunk, scored.score, vectors))
        return passages

    def ask(
        self,
        question: str,
        k: int,
        history: Sequence[Turn] = (),
        backend_name: str | None = None,
        mode: Mode = "hybrid",
    ) -> AskResult:
        backend = self.backends.get(backend_name)
        started = time.perf_counter()
        retrieval = self.retriever.retrieve(question, k, mode)
        passages = tuple(self._passages(retrieval))
        retrieved = time.perf_counter()
        request = GenerationRequest(
            question=question,
            language=detect_language(question),
            passages=passages,
            question_vector=retrieval.query_vector,
            question_terms=retrieval.query_terms,
            history=tuple(history),
        )
        generation = backend.generate(request)
        finished = time.perf_counter()
        timings = Timings(
            retrieval_ms=_ms(retrieved - started),
            generation_ms=_ms(finished - retrieved),
            total_ms=_ms(finished - started),
        )
        return AskResult(question, generation, passages, backend.name, timings, retrieval)
