"""Checks each generated sentence against the passages it cites (pure).

A small model often copies a passage without its [n], or cites a passage that does not say
what the sentence says. A sentence counts as supported by a passage when most of its content
terms occur there (lexical) or when it is close in meaning to one of the passage's sentences
(dense: translations into English and paraphrases). Markers that point at a passage that does
not support their sentence are replaced by the passage that does, or dropped; a sentence no
passage supports is reported as unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from app.answer.citations import MARKER


@dataclass(frozen=True)
class SupportThresholds:
    min_term_share: float = 0.6
    min_similarity: float = 0.88


@dataclass(frozen=True)
class PassageEvidence:
    terms: frozenset[str]
    sentence_vectors: np.ndarray


@dataclass(frozen=True)
class SupportedAnswer:
    text: str
    cited_refs: tuple[int, ...]
    unsupported_sentences: tuple[str, ...]
    attributed: int  # markers added or moved to the passage that supports the sentence


def strip_markers(sentence: str) -> str:
    return re.sub(r"\s+([.!?:;,])", r"\1", MARKER.sub("", sentence)).strip()


def _with_markers(sentence: str, refs: Sequence[int]) -> str:
    markers = "".join(f"[{ref}]" for ref in refs)
    match = re.search(r"([.!?:;]+)$", sentence)
    if match:
        return f"{sentence[: match.start()]} {markers}{match.group(1)}"
    return f"{sentence} {markers}"


def supporting_refs(
    terms: set[str],
    vector: np.ndarray,
    evidence: Mapping[int, PassageEvidence],
    thresholds: SupportThresholds,
) -> list[int]:
    """Refs of the passages that support a sentence, best first."""
    scored = []
    for ref, passage in evidence.items():
        share = len(terms & passage.terms) / len(terms) if terms else 0.0
        similarity = (
            float(np.max(passage.sentence_vectors @ vector))
            if len(passage.sentence_vectors)
            else 0.0
        )
        if share >= thresholds.min_term_share or similarity >= thresholds.min_similarity:
            scored.append((max(share, similarity), ref))
    return [ref for _, ref in sorted(scored, reverse=True)]


def verify_support(
    sentences: Sequence[str],
    sentence_terms: Sequence[set[str]],
    sentence_vectors: np.ndarray,
    evidence: Mapping[int, PassageEvidence],
    thresholds: SupportThresholds,
    question_terms: frozenset[str] = frozenset(),
) -> SupportedAnswer:
    """`sentences` come from `split_answer_sentences`; terms and vectors are of their text
    without markers, in the same order.

    Support comes from what a sentence adds to the question: a sentence made of the
    question's own words ("Sverige vill uppnå mycket med Nato-samarbetet [1]") is close to
    any passage that the question is close to, and answers nothing; it is unsupported."""
    out: list[str] = []
    unsupported: list[str] = []
    attributed = 0
    for sentence, terms, vector in zip(sentences, sentence_terms, sentence_vectors, strict=True):
        plain = strip_markers(sentence)
        if not terms or plain.endswith(":"):
            out.append(sentence)  # a lead-in or a fragment claims nothing
            continue
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        added = terms - question_terms
        if not added:
            unsupported.append(plain)
            out.append(plain)
            continue
        support = supporting_refs(added, vector, evidence, thresholds)
        kept = [ref for ref in cited if ref in support]
        if not kept and support:
            kept = support[:1]
            attributed += 1
        if kept:
            out.append(_with_markers(plain, kept))
        else:
            unsupported.append(plain)
            out.append(plain)
    text = " ".join(out)
    cited_refs = tuple(dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", text)))
    return SupportedAnswer(text, cited_refs, tuple(unsupported), attributed)
