"""The embedded default backend: no LLM, answers with the documents' own sentences."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping

from app.answer.evidence import RefusalThresholds
from app.answer.extractive import (
    CandidateSentence,
    ComposedAnswer,
    ComposerSettings,
    compose_answer,
)
from app.answer.injection import is_instruction
from app.models import Generation, GenerationRequest


def candidate_sentences(request: GenerationRequest) -> list[CandidateSentence]:
    doc_order: dict[str, int] = {}
    candidates: list[CandidateSentence] = []
    for rank, passage in enumerate(request.passages):
        chunk = passage.chunk
        order = doc_order.setdefault(chunk.doc_id, len(doc_order))
        for span, vector in zip(chunk.sentences, passage.sentence_vectors, strict=True):
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
                )
            )
    return candidates


class ExtractiveBackend:
    name = "extractive"

    def __init__(
        self,
        terms_of: Callable[[str], list[str]],
        idf: Mapping[str, float],
        thresholds: RefusalThresholds,
        settings: ComposerSettings,
    ) -> None:
        self._terms_of = terms_of
        self._idf = idf
        self.thresholds = thresholds
        self.settings = settings

    def compose(self, request: GenerationRequest) -> ComposedAnswer:
        return compose_answer(
            request.question,
            request.question_vector,
            request.question_terms,
            request.language,
            candidate_sentences(request),
            self._terms_of,
            self._idf,
            self.thresholds,
            self.settings,
        )

    async def generate(self, request: GenerationRequest) -> Generation:
        return self.compose_generation(request)

    def compose_generation(self, request: GenerationRequest) -> Generation:
        answer = self.compose(request)
        return Generation(answer.text, answer.refused, answer.cited_refs)

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]:
        answer = self.compose(request)
        if answer.refused:
            yield answer.text
            return
        for index, (sentence, ref) in enumerate(answer.sentences):
            yield ("" if index == 0 else " ") + f"{sentence} [{ref}]"
