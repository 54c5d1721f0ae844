"""One question's way through the system: follow-up rewriting → retrieval → backend → answer.

Whatever the chosen backend does (time out, break its stream, cite nothing), the question is
answered: the extractive backend composes the answer from the same passages and the result
says `degraded`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace

import anyio

from app.answer.citations import CitationStreamFilter, check_answer
from app.answer.followup import standalone_question
from app.answer.language import detect_language
from app.answer.leak import LeakGuard
from app.backends.base import BackendRegistry, LLMBackend, QuestionRewriter
from app.backends.extractive import ExtractiveBackend
from app.grounding import AnswerVerifier
from app.models import Generation, GenerationRequest, Passage, Turn
from app.retrieval.pipeline import Mode, Retrieval, Retriever
from indexer.store import LoadedStore

logger = logging.getLogger("app.service")


@dataclass(frozen=True)
class Timings:
    rewrite_ms: float
    retrieval_ms: float
    generation_ms: float
    total_ms: float
    first_token_ms: float | None = None


@dataclass(frozen=True)
class AskResult:
    question: str
    search_query: str
    generation: Generation
    passages: tuple[Passage, ...]
    backend: str
    timings: Timings
    retrieval: Retrieval


@dataclass(frozen=True)
class Prepared:
    backend: LLMBackend
    request: GenerationRequest
    retrieval: Retrieval
    started: float
    rewritten: float
    retrieved: float


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


def citable_refs(backend: LLMBackend, request: GenerationRequest) -> set[int]:
    """The passages the backend was shown: a backend that puts fewer in its prompt says so."""
    shown = getattr(backend, "valid_refs", None)
    return shown(request) if shown is not None else {p.ref for p in request.passages}


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


class QuestionAnswering:
    def __init__(
        self,
        store: LoadedStore,
        retriever: Retriever,
        backends: BackendRegistry,
        fallback: ExtractiveBackend,
    ) -> None:
        self.store = store
        self.retriever = retriever
        self.backends = backends
        self.fallback = fallback
        self.verifier = AnswerVerifier(retriever.analyzer.terms, retriever.embedder)
        self.chunk_positions = store.chunk_position()
        # Called with (backend name, stage) whenever a backend fails; the app counts these.
        self.on_backend_error: Callable[[str, str], None] = lambda backend, stage: None

    def search(self, query: str, k: int, mode: Mode = "hybrid") -> list[Passage]:
        return self._passages(self.retriever.retrieve(query, k, mode))

    def _passages(self, retrieval: Retrieval) -> list[Passage]:
        passages = []
        for ref, scored in enumerate(retrieval.passages, start=1):
            first = self.store.sentence_rows[scored.position]
            vectors = self.store.sentence_vectors[first : first + len(scored.chunk.sentences)]
            passages.append(Passage(ref, scored.chunk, scored.score, vectors))
        return passages

    async def standalone(self, question: str, history: Sequence[Turn], backend: LLMBackend) -> str:
        if not history:
            return question
        if isinstance(backend, QuestionRewriter):
            try:
                return await backend.rewrite(question, history)
            except Exception as exc:  # any failure: the heuristic still gives a usable query
                logger.warning("follow-up rewrite by %s failed: %s", backend.name, exc)
                self.on_backend_error(backend.name, "rewrite")
        return standalone_question(question, history)

    async def prepare(
        self,
        question: str,
        k: int,
        history: Sequence[Turn] = (),
        backend_name: str | None = None,
        mode: Mode = "hybrid",
    ) -> Prepared:
        backend = self.backends.get(backend_name)
        started = time.perf_counter()
        search_query = await self.standalone(question, history, backend)
        rewritten = time.perf_counter()
        retrieval = await anyio.to_thread.run_sync(self.retriever.retrieve, search_query, k, mode)
        request = GenerationRequest(
            question=question,
            language=detect_language(question),
            passages=tuple(self._passages(retrieval)),
            question_vector=retrieval.query_vector,
            question_terms=retrieval.query_terms,
            history=tuple(history),
            search_query=search_query,
        )
        return Prepared(backend, request, retrieval, started, rewritten, time.perf_counter())

    def evidence_refusal(self, request: GenerationRequest) -> Generation | None:
        """The extractive evidence gate: when the passages cannot answer, no model is asked
        (a small model asked anyway tends to invent an answer and cite a passage for it)."""
        composed = self.fallback.compose(request)
        return Generation(composed.text, True, ()) if composed.refused else None

    def _degraded(self, request: GenerationRequest, backend: LLMBackend, reason: str) -> Generation:
        logger.warning("backend %s unavailable, answering extractively: %s", backend.name, reason)
        self.on_backend_error(backend.name, "generation")
        return replace(self.fallback.compose_generation(request), degraded=True)

    def _result(
        self, prepared: Prepared, generation: Generation, first_token: float | None = None
    ) -> AskResult:
        finished = time.perf_counter()
        timings = Timings(
            rewrite_ms=_ms(prepared.rewritten - prepared.started),
            retrieval_ms=_ms(prepared.retrieved - prepared.rewritten),
            generation_ms=_ms(finished - prepared.retrieved),
            total_ms=_ms(finished - prepared.started),
            first_token_ms=None if first_token is None else _ms(first_token - prepared.started),
        )
        request = prepared.request
        return AskResult(
            request.question,
            request.search_query,
            generation,
            request.passages,
            prepared.backend.name,
            timings,
            prepared.retrieval,
        )

    async def ask(
        self,
        question: str,
        k: int,
        history: Sequence[Turn] = (),
        backend_name: str | None = None,
        mode: Mode = "hybrid",
    ) -> AskResult:
        prepared = await self.prepare(question, k, history, backend_name, mode)
        backend, request = prepared.backend, prepared.request
        if backend is self.fallback:
            return self._result(prepared, self.fallback.compose_generation(request))
        refusal = self.evidence_refusal(request)
        if refusal is not None:
            return self._result(prepared, refusal)
        try:
            generated = await backend.generate(request)
            valid_refs = citable_refs(backend, request)
            generation = await anyio.to_thread.run_sync(
                self.verifier.verify, backend, generated.text, request, valid_refs
            )
        except Exception as exc:  # a broken backend must never break /ask
            generation = self._degraded(request, backend, str(exc) or type(exc).__name__)
        return self._result(prepared, generation)

    async def ask_events(
        self,
        question: str,
        k: int,
        history: Sequence[Turn] = (),
        backend_name: str | None = None,
        mode: Mode = "hybrid",
    ) -> AsyncIterator[AskEvent]:
        """Citations first, then answer deltas, then the whole result (which is authoritative)."""
        prepared = await self.prepare(question, k, history, backend_name, mode)
        backend, request = prepared.backend, prepared.request
        yield CitationsEvent(request.passages, request.search_query, backend.name)
        if backend is not self.fallback:
            refusal = self.evidence_refusal(request)
            if refusal is not None:
                yield DeltaEvent(refusal.text)
                yield DoneEvent(self._result(prepared, refusal, time.perf_counter()))
                return
        valid_refs = citable_refs(backend, request)
        citation_filter = CitationStreamFilter(valid_refs)
        leak_guard = LeakGuard(getattr(backend, "canary", ""))
        pieces: list[str] = []
        first_token: float | None = None
        try:
            async with aclosing(backend.stream(request)) as deltas:
                async for delta in deltas:
                    text = citation_filter.feed(leak_guard.feed(delta))
                    if text:
                        first_token = first_token or time.perf_counter()
                        pieces.append(text)
                        yield DeltaEvent(text)
            tail = citation_filter.feed(leak_guard.flush()) + citation_filter.flush()
            if tail:
                pieces.append(tail)
                yield DeltaEvent(tail)
            joined = "".join(pieces)
            if backend is self.fallback:
                checked = check_answer(joined, valid_refs)
                generation = Generation(checked.text, checked.refused, checked.cited_refs)
            else:
                generation = await anyio.to_thread.run_sync(
                    self.verifier.verify, backend, joined, request, valid_refs
                )
        except Exception as exc:  # a broken stream must never break /ask
            generation = self._degraded(request, backend, str(exc) or type(exc).__name__)
            if not pieces:
                first_token = time.perf_counter()
                yield DeltaEvent(generation.text)
        yield DoneEvent(self._result(prepared, generation, first_token))
