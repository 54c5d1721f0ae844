"""The embedded default backend: no LLM, answers with the documents' own sentences.

It plays three roles: the backend chosen by name, the evidence gate that spares a model
questions the passages cannot answer, and the fallback when another backend fails.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping

from app.answer.composer import (
    CandidateSentence,
    ComposedAnswer,
    ComposerSettings,
    compose_answer,
)
from app.answer.evidence import RefusalThresholds
from app.answer.injection import is_instruction
from app.domain import Generation, GenerationRequest


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


def answer_text(answer: ComposedAnswer) -> str:
    if answer.refused:
        return answer.text
    return " ".join(f"{sentence} [{ref}]" for sentence, ref in answer.sentences)


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

    async def generate(self, request: GenerationRequest) -> str:
        return answer_text(self.compose(request))

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]:
        answer = self.compose(request)
        if answer.refused:
            yield answer.text
            return
        for index, (sentence, ref) in enumerate(answer.sentences):
            yield ("" if index == 0 else " ") + f"{sentence} [{ref}]"

    async def aclose(self) -> None:
        pass  # holds nothing open

    def refusal(self, request: GenerationRequest) -> str | None:
        """The evidence gate: a small model asked anyway tends to invent an answer and cite
        a passage for it."""
        answer = self.compose(request)
        return answer.text if answer.refused else None

    def answer(self, request: GenerationRequest) -> Generation:
        composed = self.compose(request)
        return Generation(composed.text, composed.refused, composed.cited_refs)
