"""One question's way through the system: rewrite → retrieve → (gate) → backend → check.

`prepare` rewrites a follow-up and retrieves; `answer_events` turns that into one stream of
events (citations, deltas, done) whatever the transport; `ask` collects the same stream.
So a plain and a streamed request share every step, and every policy lives here once:
the evidence gate, the checking stage, the deadline, and the fallback that answers, marked
`degraded`, whenever the chosen backend fails (down, too slow, garbage, a leak, no support).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio

from app.answer.checking import AnswerChecker
from app.answer.question_parts import QuestionPart, split_question
from app.backends.base import (
    AnswerabilityCheck,
    EvidenceGate,
    EvidenceSelector,
    FallbackAnswerer,
    LLMBackend,
    QuestionRewriter,
    Registry,
)
from app.domain import Generation, GenerationRequest, PartRequest, Passage, Turn
from app.limits.deadline import until
from app.results import (
    AskEvent,
    AskResult,
    ChunkContext,
    CitationsEvent,
    DeltaEvent,
    DoneEvent,
    SearchResult,
    Timings,
)
from app.retrieval.merge import combined_vector, interleave_parts
from app.retrieval.pipeline import Mode, Retrieval, Retriever
from indexer.documents import Chunk
from indexer.language import detect_language

logger = logging.getLogger("app.service")


class RefusedDespiteEvidence(Exception):
    """A generated refusal of a question that the evidence gate found answered."""


# Of a request's time, this much (at most a tenth of it) is kept back for the fallback.
FALLBACK_RESERVE_S = 5.0


@dataclass(frozen=True)
class AnswerRoute:
    """Everything one backend name stands for: the backend and the roles around it.

    `gate` and `fallback` are None for a backend that is its own fallback (the extractive
    one); `prompt_passages` limits the passages its prompt shows (None: all retrieved)."""

    backend: LLMBackend
    rewriter: QuestionRewriter
    checker: AnswerChecker
    gate: EvidenceGate | None = None
    fallback: FallbackAnswerer | None = None
    prompt_passages: int | None = None
    # Shows the prompt the units that answer instead of whole passages (None: passages).
    selector: EvidenceSelector | None = None
    # Asks the model whether the best unit answers, when the gate let a question through
    # within `doubt_band` of its threshold (None or 0: the gate decides alone).
    answerability: AnswerabilityCheck | None = None
    doubt_band: float = 0.0

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def generates(self) -> bool:
        """A language model writes the answer (seconds of work, worth a generation slot)."""
        return self.fallback is not None


@dataclass(frozen=True)
class Prepared:
    """A question rewritten and retrieved for, ready for its backend."""

    route: AnswerRoute
    request: GenerationRequest
    started: float
    rewritten: float
    retrieved: float

    @property
    def backend_request(self) -> GenerationRequest:
        """The request as the backend sees it: only the passages its prompt shows, or the
        evidence units its selector chose from them."""
        request = self.request
        limit = self.route.prompt_passages
        if limit is not None and limit < len(request.passages):
            request = replace(request, passages=request.passages[:limit])
        if self.route.selector is not None:
            request = replace(request, evidence=self.route.selector.select(self.request))
        return request


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def _one_delta(backend: LLMBackend, request: GenerationRequest) -> AsyncIterator[str]:
    """A plain answer as a stream of one delta, so it takes the streamed path's steps."""

    async def deltas() -> AsyncIterator[str]:
        yield await backend.generate(request)

    return deltas()


class QuestionAnswering:
    def __init__(
        self,
        retriever: Retriever,
        routes: Registry[AnswerRoute],
        rewrite_fallback: QuestionRewriter,
        on_backend_error: Callable[[str, str], None] | None = None,
    ) -> None:
        self.retriever = retriever
        self.routes = routes
        self._rewrite_fallback = rewrite_fallback
        # Called with (backend name, stage) whenever a backend fails; the app counts these.
        self.on_backend_error = on_backend_error or (lambda backend, stage: None)

    # What the HTTP edge and the evaluation read.

    @property
    def backend_names(self) -> list[str]:
        return self.routes.names

    @property
    def default_backend(self) -> str:
        return self.routes.default

    @property
    def modes(self) -> tuple[Mode, ...]:
        return self.retriever.modes

    @property
    def manifest(self) -> Mapping[str, Any]:
        return self.retriever.store.manifest

    @property
    def embedding_kernel(self) -> str:
        """The build of the engine that embeds questions (the store's own may differ)."""
        return self.retriever.embedder.info.kernel

    def generates(self, backend_name: str | None) -> bool:
        """Whether a language model answers for this backend (raises UnknownBackendError)."""
        return self.routes.get(backend_name).generates

    def chunks(self) -> Iterator[Chunk]:
        return self.retriever.store.chunks()

    def chunk_context(self, chunk_id: str) -> ChunkContext | None:
        store = self.retriever.store
        position = store.position_of(chunk_id)
        if position is None:
            return None
        previous, following = store.neighbours(position)
        return ChunkContext(store.chunk_at(position), previous, following)

    async def aclose(self) -> None:
        """Closes what the backends and the store hold open (connection pools)."""
        for route in self.routes.values():
            await route.backend.aclose()
        await anyio.to_thread.run_sync(self.retriever.store.close)

    # The way of a question.

    async def standalone(
        self, question: str, history: Sequence[Turn], backend_name: str | None = None
    ) -> str:
        """The query to retrieve with: a follow-up made standalone by the backend's rewriter,
        or by the fallback rewriter when that fails."""
        if not history:
            return question
        route = self.routes.get(backend_name)
        try:
            return await route.rewriter.rewrite(question, history)
        except Exception as exc:  # any failure: the fallback still gives a usable query
            logger.warning("follow-up rewrite for %s failed: %s", route.name, exc)
            self.on_backend_error(route.name, "rewrite")
        return await self._rewrite_fallback.rewrite(question, history)

    async def search(
        self,
        query: str,
        k: int,
        mode: Mode = "hybrid",
        history: Sequence[Turn] = (),
        backend_name: str | None = None,
    ) -> SearchResult:
        """Retrieval alone: the same rewrite and retrieval as an answer's."""
        request = (await self.prepare(query, k, history, backend_name, mode)).request
        return SearchResult(request.search_query, request.passages)

    async def prepare(
        self,
        question: str,
        k: int,
        history: Sequence[Turn] = (),
        backend_name: str | None = None,
        mode: Mode = "hybrid",
    ) -> Prepared:
        route = self.routes.get(backend_name)
        started = time.perf_counter()
        search_query = await self.standalone(question, history, backend_name)
        rewritten = time.perf_counter()
        split = split_question(search_query, self.documents)
        parts: tuple[PartRequest, ...] = ()
        if len(split) > 1:
            # Only the parts are retrieved for: the whole question's own retrieval would
            # embed a third text that no answer reads.
            passages, parts = await self._retrieve_parts(split, k, mode)
            vector = combined_vector([p.vector for p in parts])
            terms = tuple(self.retriever.analyzer.terms(search_query))
        else:
            # A question that places its answer in one document ("i pressmeddelandet") is
            # answered from that document's passages.
            retrieval: Retrieval = await self.retriever.retrieve_async(
                search_query, k, mode, split[0].document
            )
            passages, vector, terms = (
                retrieval.passages,
                retrieval.query_vector,
                retrieval.query_terms,
            )
        request = GenerationRequest(
            question=question,
            language=detect_language(question),
            passages=passages,
            question_vector=vector,
            question_terms=terms,
            history=tuple(history),
            search_query=search_query,
            parts=parts,
        )
        return Prepared(route, request, started, rewritten, time.perf_counter())

    async def _gate(self, route: AnswerRoute, request: GenerationRequest) -> str | None:
        """The evidence gate's refusal; for a question it lets through narrowly, the model's
        own yes/no on the best unit (a "no" refuses; a failed check keeps the gate's call)."""
        if route.gate is None:
            return None
        refusal = route.gate.refusal(request)
        if refusal is not None or route.answerability is None or route.doubt_band <= 0:
            return refusal
        doubt = route.gate.doubt(request, route.doubt_band)
        if doubt is None:
            return None
        try:
            answerable = await route.answerability.answerable(request.question, doubt.evidence)
        except Exception as exc:  # the check is advice: its failure never fails an answer
            logger.info("answerability check failed: %s", exc)
            return None
        self._count_doubt(route.name, answerable)
        return doubt.refusal if answerable is False else None

    def _count_doubt(self, backend: str, answerable: bool | None) -> None:
        outcome = {True: "yes", False: "no", None: "unclear"}[answerable]
        logger.info("answerability check for %s: %s", backend, outcome)

    async def _retrieve_parts(
        self, split: Sequence[QuestionPart], k: int, mode: Mode
    ) -> tuple[tuple[Passage, ...], tuple[PartRequest, ...]]:
        """Each part of a two-part question retrieved for on its own (in the document it
        names), so that each gets its own evidence; the passages are taken in turn."""
        retrievals = [
            await self.retriever.retrieve_async(p.text, k, mode, p.document) for p in split
        ]
        passages, refs = interleave_parts([r.passages for r in retrievals], k)
        parts = tuple(
            PartRequest(p.text, p.document, part_refs, r.query_vector, r.query_terms)
            for p, r, part_refs in zip(split, retrievals, refs, strict=True)
        )
        return passages, parts

    @property
    def documents(self) -> Mapping[str, tuple[str, ...]]:
        """Document id → the names questions use for it (the manifest's `names`)."""
        return {d["id"]: tuple(d.get("names", ())) for d in self.manifest.get("documents", [])}

    async def answer_events(
        self,
        question: str,
        k: int,
        history: Sequence[Turn] = (),
        backend_name: str | None = None,
        deadline: float | None = None,
        streamed: bool = True,
    ) -> AsyncIterator[AskEvent]:
        """Citations first, then answer deltas, then the whole result (which is authoritative:
        a fallback after some deltas replaces them). `deadline` is anyio.current_time() by
        which the answer must be done; the chosen backend gets all of it but a reserve for
        the fallback. `streamed` False asks the backend for its whole answer at once."""
        started = anyio.current_time()
        prepared = await self.prepare(question, k, history, backend_name)
        route, request = prepared.route, prepared.request
        yield CitationsEvent(request.passages, request.search_query, route.name)
        refusal = await self._gate(route, request)
        if refusal is not None:
            yield DeltaEvent(refusal)
            generation = Generation(refusal, True, ())
            yield DoneEvent(self._result(prepared, generation, time.perf_counter(), streamed))
            return
        # The prompt shows only the evidence for the parts the passages answer: a part they
        # do not is said so first, and the model is asked only the others.
        unanswered = route.gate.unanswered(request) if route.gate is not None else None
        opening = f"{unanswered.notice} " if unanswered is not None else ""
        first_token: float | None = None
        backend_request = prepared.backend_request
        if unanswered is not None:
            first_token = time.perf_counter()
            yield DeltaEvent(opening)
            backend_request = replace(backend_request, question=unanswered.answered)
        check = route.checker.open(backend_request)
        generation_deadline = None
        if deadline is not None and route.fallback is not None:
            # Only a backend with a fallback can be cut off: there is something to answer with.
            reserve = min(FALLBACK_RESERVE_S, (deadline - started) * 0.1)
            generation_deadline = deadline - reserve
        deltas = (
            route.backend.stream(backend_request)
            if streamed
            else _one_delta(route.backend, backend_request)
        )
        try:
            async for delta in until(deltas, generation_deadline):
                text = check.feed(delta)
                if text:
                    first_token = first_token or time.perf_counter()
                    yield DeltaEvent(text)
            tail = check.flush()
            if tail:
                first_token = first_token or time.perf_counter()
                yield DeltaEvent(tail)
            # A hop to a worker and back costs more than the extractive answer's check.
            generation = (
                await anyio.to_thread.run_sync(check.finish) if check.embeds else check.finish()
            )
            if generation.refused and route.gate is not None:
                # The gate found units that answer (and, when it was a close call, the
                # model's own yes/no agreed): a refusal now is the model losing its way in
                # them, not the documents' silence.
                raise RefusedDespiteEvidence("the model refused a question its evidence answers")
            if opening:
                generation = replace(generation, text=opening + generation.text)
        except Exception as exc:  # a broken backend must never break an answer
            if route.fallback is None:
                raise
            # The extractive answer says which parts it does not answer itself.
            generation = self._degraded(route, request, exc)
            if not check.shown:
                first_token = time.perf_counter()
                yield DeltaEvent(generation.text.removeprefix(opening))
        yield DoneEvent(self._result(prepared, generation, first_token, streamed))

    async def ask(
        self,
        question: str,
        k: int,
        history: Sequence[Turn] = (),
        backend_name: str | None = None,
        deadline: float | None = None,
    ) -> AskResult:
        """The plain answer: the same events as a streamed one, collected."""
        events = self.answer_events(question, k, history, backend_name, deadline, streamed=False)
        result: AskResult | None = None
        async for event in events:
            if isinstance(event, DoneEvent):
                result = event.result
        assert result is not None, "answer_events always ends with DoneEvent"
        return result

    def _degraded(
        self, route: AnswerRoute, request: GenerationRequest, exc: Exception
    ) -> Generation:
        assert route.fallback is not None
        reason = str(exc) or type(exc).__name__
        logger.warning(
            "backend %s unavailable, answering with the fallback: %s", route.name, reason
        )
        self.on_backend_error(route.name, "generation")
        return replace(route.fallback.answer(request), degraded=True)

    def _result(
        self,
        prepared: Prepared,
        generation: Generation,
        first_token: float | None,
        streamed: bool,
    ) -> AskResult:
        finished = time.perf_counter()
        timings = Timings(
            rewrite_ms=_ms(prepared.rewritten - prepared.started),
            retrieval_ms=_ms(prepared.retrieved - prepared.rewritten),
            generation_ms=_ms(finished - prepared.retrieved),
            total_ms=_ms(finished - prepared.started),
            first_token_ms=(
                _ms(first_token - prepared.started)
                if streamed and first_token is not None
                else None
            ),
        )
        request = prepared.request
        usage = None if generation.degraded else request.usage.reported
        return AskResult(
            request.search_query,
            generation,
            request.passages,
            prepared.route.name,
            timings,
            usage,
        )
