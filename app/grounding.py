"""Checks a generated answer against the passages the model was shown.

The I/O half of `app/answer/support.py`: it embeds the answer's sentences with the service's
embedder and analyses them with its analyzer, then applies the pure rules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from app.answer.citations import check_answer, split_answer_sentences
from app.answer.injection import is_instruction, without_instructions
from app.answer.leak import contains_secret
from app.answer.support import PassageEvidence, SupportThresholds, strip_markers, verify_support
from app.backends.base import BackendUnavailable, LLMBackend
from app.models import Generation, GenerationRequest, Passage
from indexer.embedders import Embedder

logger = logging.getLogger("app.grounding")


def model_evidence(passage: Passage, terms_of: Callable[[str], list[str]]) -> PassageEvidence:
    """What the model was shown of a passage: instruction-like sentences do not count as
    support (a poisoned passage must not vouch for the word it told the model to say)."""
    chunk = passage.chunk
    keep = [not is_instruction(chunk.text[s.start : s.end]) for s in chunk.sentences]
    return PassageEvidence(
        frozenset(terms_of(without_instructions(chunk.text))),
        passage.sentence_vectors[np.array(keep, dtype=bool)],
    )


class AnswerVerifier:
    def __init__(
        self,
        terms_of: Callable[[str], list[str]],
        embedder: Embedder,
        thresholds: SupportThresholds | None = None,
    ) -> None:
        self._terms_of = terms_of
        self._embedder = embedder
        self.thresholds = thresholds or SupportThresholds()

    def verify(
        self,
        backend: LLMBackend,
        text: str,
        request: GenerationRequest,
        valid_refs: set[int],
    ) -> Generation:
        """Post-processes a generated answer; raises BackendUnavailable when it leaks the
        prompt or nothing in it is supported by a passage."""
        if contains_secret(text, getattr(backend, "canary", "")):
            raise BackendUnavailable("the answer repeated the system prompt")
        checked = check_answer(text, valid_refs)
        if checked.refused:
            return Generation(checked.text, True, ())
        sentences = split_answer_sentences(checked.text)
        plain = [strip_markers(sentence) for sentence in sentences]
        evidence = {
            p.ref: model_evidence(p, self._terms_of)
            for p in request.passages
            if p.ref in valid_refs
        }
        supported = verify_support(
            sentences,
            [set(self._terms_of(text)) for text in plain],
            self._embedder.embed_passages(plain),
            evidence,
            self.thresholds,
        )
        if not supported.cited_refs:
            raise BackendUnavailable("no sentence of the answer is supported by a passage")
        if supported.attributed:
            logger.info("attributed %d sentence(s) to their passage", supported.attributed)
        return Generation(
            supported.text,
            False,
            supported.cited_refs,
            unsupported_sentences=supported.unsupported_sentences,
        )
