"""The one checking stage every answer passes, streamed or whole: leak guard → citation
filter → support verification.

Deltas are fed as they arrive (`feed`), so a streamed answer never shows a leaked secret or a
marker that points at no passage; `finish` then checks the whole filtered text. A plain
answer is fed as one delta, so both transports end with the same answer. The embedder is
handed in as a function, which keeps this module free of models.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from app.answer.citations import CitationStreamFilter, check_answer, split_answer_sentences
from app.answer.injection import is_instruction, without_instructions
from app.answer.leak import LeakDetected, LeakGuard
from app.answer.support import PassageEvidence, SupportThresholds, strip_markers, verify_support
from app.domain import Generation, GenerationRequest, Passage

logger = logging.getLogger("app.answer.checking")

TermsOf = Callable[[str], list[str]]
EmbedTexts = Callable[[Sequence[str]], np.ndarray]


class UnsupportedAnswer(Exception):
    """The answer cannot be shown: it leaked the prompt, or no passage supports it."""


def model_evidence(passage: Passage, terms_of: TermsOf) -> PassageEvidence:
    """What the model was shown of a passage: instruction-like sentences do not count as
    support (a poisoned passage must not vouch for the word it told the model to say)."""
    chunk = passage.chunk
    keep = [not is_instruction(chunk.text[s.start : s.end]) for s in chunk.sentences]
    return PassageEvidence(
        frozenset(terms_of(without_instructions(chunk.text))),
        passage.sentence_vectors[np.array(keep, dtype=bool)],
    )


@dataclass(frozen=True)
class SupportCheck:
    """Every sentence of a generated answer must be supported by the passage it cites."""

    terms_of: TermsOf
    embed: EmbedTexts
    thresholds: SupportThresholds = field(default_factory=SupportThresholds)

    def verify(self, text: str, request: GenerationRequest) -> Generation:
        sentences = split_answer_sentences(text)
        plain = [strip_markers(sentence) for sentence in sentences]
        evidence = {p.ref: model_evidence(p, self.terms_of) for p in request.passages}
        supported = verify_support(
            sentences,
            [set(self.terms_of(sentence)) for sentence in plain],
            self.embed(plain),
            evidence,
            self.thresholds,
            frozenset(request.question_terms),
        )
        if not supported.cited_refs:
            raise UnsupportedAnswer("no sentence of the answer is supported by a passage")
        if supported.attributed:
            logger.info("attributed %d sentence(s) to their passage", supported.attributed)
        return Generation(
            supported.text,
            False,
            supported.cited_refs,
            unsupported_sentences=supported.unsupported_sentences,
        )


@dataclass(frozen=True)
class AnswerChecker:
    """`canary`: the string only the system prompt holds. `support`: None for a backend that
    quotes the passages' own sentences (the extractive one), whose answers need no check."""

    canary: str = ""
    support: SupportCheck | None = None

    def open(self, request: GenerationRequest) -> AnswerCheck:
        return AnswerCheck(self, request)


class AnswerCheck:
    """The check of one answer: the citable passages are the request's passages."""

    def __init__(self, checker: AnswerChecker, request: GenerationRequest) -> None:
        self._support = checker.support
        self._request = request
        self._valid = {p.ref for p in request.passages}
        self._leaks = LeakGuard(checker.canary)
        self._citations = CitationStreamFilter(self._valid)
        self._shown: list[str] = []

    @property
    def shown(self) -> str:
        """What has been let through so far."""
        return "".join(self._shown)

    def _let_through(self, text: str) -> str:
        if text:
            self._shown.append(text)
        return text

    def feed(self, delta: str) -> str:
        """The part of `delta` that can be shown now (a possible secret or marker waits)."""
        try:
            return self._let_through(self._citations.feed(self._leaks.feed(delta)))
        except LeakDetected as exc:
            raise UnsupportedAnswer("the answer repeated the system prompt") from exc

    def flush(self) -> str:
        """What was held back, once the backend has finished."""
        tail = self._citations.feed(self._leaks.flush()) + self._citations.flush()
        return self._let_through(tail)

    @property
    def embeds(self) -> bool:
        """Whether `finish` embeds the answer's sentences (the support check): a call for a
        worker thread. Without it `finish` is a few string checks."""
        return self._support is not None

    def finish(self) -> Generation:
        """The whole answer, checked; raises UnsupportedAnswer when it cannot be shown."""
        checked = check_answer(self.shown, self._valid)
        if checked.refused:
            return Generation(checked.text, True, ())
        if self._support is None:
            return Generation(checked.text, False, checked.cited_refs)
        return self._support.verify(checked.text, self._request)
