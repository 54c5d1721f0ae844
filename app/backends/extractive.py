"""The embedded default backend: no LLM, answers with the documents' own sentences.

It plays three roles: the backend chosen by name, the evidence gate that spares a model
questions the passages cannot answer, and the fallback when another backend fails.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

import anyio

from app.answer.composer import (
    CandidateSentence,
    ComposedAnswer,
    ComposerSettings,
    Lexicon,
    combine_parts,
    compose_answer,
    piece_deltas,
    unanswered_parts,
)
from app.answer.evidence import RefusalThresholds
from app.answer.injection import is_instruction
from app.answer.refusals import REFUSALS
from app.answer.units import evidence_blocks
from app.backends.base import Doubt
from app.domain import EvidenceUnit, Generation, GenerationRequest, Passage, UnansweredParts


def candidate_sentences(passages: Sequence[Passage]) -> list[CandidateSentence]:
    """The passages' sentences; a passage's rank is its place in `passages`."""
    doc_order: dict[str, int] = {}
    candidates: list[CandidateSentence] = []
    for rank, passage in enumerate(passages):
        chunk = passage.chunk
        order = doc_order.setdefault(chunk.doc_id, len(doc_order))
        spans = zip(chunk.sentences, passage.sentence_vectors, strict=True)
        for index, (span, vector) in enumerate(spans):
            text = chunk.text[span.start : span.end]
            if is_instruction(text):
                continue  # an order to the reader is not an answer, whatever document holds it
            candidates.append(
                CandidateSentence(
                    ref=passage.ref,
                    passage_rank=rank,
                    doc_order=order,
                    offset=chunk.start + span.start,
                    text=text,
                    vector=vector,
                    context=chunk.section,
                    role=chunk.role_of(index),
                    doc_id=chunk.doc_id,
                    index=index,
                )
            )
    return candidates


class ExtractiveBackend:
    name = "extractive"

    def __init__(
        self,
        lexicon: Lexicon,
        thresholds: RefusalThresholds,
        settings: ComposerSettings,
        evidence_chars: int = 900,
    ) -> None:
        self.lexicon = lexicon
        self.evidence_chars = evidence_chars
        self.thresholds = thresholds
        self.settings = settings

    def _part_answers(self, request: GenerationRequest) -> list[ComposedAnswer]:
        """Each part of a question asked in parts, answered from its own passages."""
        by_ref = {p.ref: p for p in request.passages}
        return [
            compose_answer(
                part.text,
                part.vector,
                part.terms,
                request.language,
                candidate_sentences([by_ref[r] for r in part.refs]),
                self.lexicon,
                self.thresholds,
                self.settings,
            )
            for part in request.parts
        ]

    def compose(self, request: GenerationRequest) -> ComposedAnswer:
        if request.parts:
            answers = self._part_answers(request)
            return combine_parts(request.language, [p.text for p in request.parts], answers)
        return compose_answer(
            # A follow-up's standalone form says what it asks for ("Och vem ledde den?").
            request.search_query or request.question,
            request.question_vector,
            request.question_terms,
            request.language,
            candidate_sentences(request.passages),
            self.lexicon,
            self.thresholds,
            self.settings,
        )

    async def generate(self, request: GenerationRequest) -> str:
        await anyio.sleep(0)  # see stream
        return self.compose(request).text

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]:
        # Composing runs on the event loop. Under load the embedding thread hands back a
        # batch of vectors at once; letting the loop read the requests that arrived
        # meanwhile before each answer is composed starts their embedding sooner.
        await anyio.sleep(0)
        answer = self.compose(request)
        if answer.refused:
            yield answer.text
            return
        for delta in piece_deltas(answer.pieces):
            yield delta

    async def aclose(self) -> None:
        pass  # holds nothing open

    def refusal(self, request: GenerationRequest) -> str | None:
        """The evidence gate: a small model asked anyway tends to invent an answer and cite
        a passage for it."""
        answer = self.compose(request)
        return answer.text if answer.refused else None

    def unanswered(self, request: GenerationRequest) -> UnansweredParts | None:
        """For a question asked in parts that the gate lets through: the parts the
        passages do not answer, and those they do (a model is shown only their evidence)."""
        answers = self._part_answers(request)
        return unanswered_parts(request.language, [p.text for p in request.parts], answers)

    def doubt(self, request: GenerationRequest, band: float) -> Doubt | None:
        """A question whose evidence cleared the similarity threshold by less than `band`:
        its best unit, for a model to read against the question."""
        answer = self.compose(request)
        if answer.refused or not answer.ranked or answer.gate_margin >= band:
            return None
        return Doubt(answer.ranked[0].text, REFUSALS[request.language])

    def select(self, request: GenerationRequest) -> tuple[EvidenceUnit, ...]:
        """The evidence a model's prompt shows: the answer units, then the next best, until
        `evidence_chars`; whole passages only when no unit qualifies."""
        return tuple(evidence_blocks(self.compose(request).ranked, self.evidence_chars))

    def answer(self, request: GenerationRequest) -> Generation:
        composed = self.compose(request)
        return Generation(composed.text, composed.refused, composed.cited_refs)
