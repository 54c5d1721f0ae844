"""Extractive answers: the answer units of the top passages that answer the question, cited.

How a unit is chosen (each signal measured on the tuning part, eval/TUNING.md):
- similarity to the question and coverage of its terms, as before, but the question's own
  words weigh less than what a unit adds: a lead-in that repeats the question is not the
  sentence that answers it;
- the question's focus ("Vilka *fokusområden*", "Vad *omfattar*") in the unit or its heading;
- a list question prefers a whole list;
- the question's constraints (a nationality, a year, the document it names) must be met by
  the unit or its heading, and the answer type (a count, a year, a place, a person, a name)
  by the unit: otherwise the documents do not answer and the composer refuses.
(pure)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import zip_longest

import numpy as np

from app.answer.answer_type import Places, expected_answer_type, satisfies
from app.answer.evidence import QuestionTerms, RefusalThresholds, assess
from app.answer.question_analysis import QuestionNeeds, analyse, mentions
from app.answer.refusals import REFUSALS
from app.answer.units import AnswerUnit, CandidateSentence, build_units
from app.domain import UnansweredParts
from indexer.language import Language

__all__ = [
    "CandidateSentence",
    "ComposedAnswer",
    "ComposerSettings",
    "Lexicon",
    "combine_parts",
    "compose_answer",
    "join_pieces",
    "piece_deltas",
    "unanswered_parts",
]

# Answer types that name one detail of a passage (who, where, when).
ENTITY_TYPES = frozenset({"person", "city", "place", "time"})
# Those whose type check is strict enough to stand in for the lexical gate. Not a time: most
# passages hold a year, and "När antogs strategin?" was answered with the year of another
# strategy, a sentence without the question's own words.
UNGATED_TYPES = frozenset({"person", "city", "place"})
ENGLISH_PREFACE = "The documents are in Swedish; the quotes below are from them."


@dataclass(frozen=True)
class ComposerSettings:
    max_sentences: int = 4
    passages: int = 3
    lexical_weight: float = 0.15
    rank_penalty: float = 0.01
    # Units within this margin of the best one are good enough to include; a unit from
    # another passage than the best one's must be closer (each passage cited must hold part
    # of the answer).
    margin: float = 0.1
    other_passage_margin: float = 0.03
    duplicate_overlap: float = 0.6
    # How far below the best unit an answer of the expected type may be found; a person, a
    # place or a time is a detail of a passage, further from the question's meaning.
    typed_margin: float = 0.06
    entity_margin: float = 0.1
    # A name whose terms all have a lower IDF occurs in most passages ("Sverige", "EU"):
    # it is what the documents are about, not an answer to "which country/agency?".
    common_name_idf: float = 0.5
    # Weight of the share of a unit's (IDF-weighted) terms that the question does not have.
    added_weight: float = 0.0
    # Bonus when the unit or its heading holds the question's focus word.
    focus_weight: float = 0.0
    # Bonus for a whole list when the question asks for several things.
    list_weight: float = 0.005
    # A list or a pair says more than the sentence it grows from: it must earn its length.
    pair_penalty: float = 0.0
    max_list_items: int = 14
    # Whether a person/place question skips the lexical part of the evidence gate.
    typed_gate: bool = True
    # ... and may be that much less similar to the passages (its type check is strict).
    entity_similarity_slack: float = 0.02
    # Whether the answer to a person/place/time question holds only units of that type.
    typed_only: bool = True
    # A name question's answer must mention the names it asks about whose IDF is at least
    # this (a name in few passages: "NB8", not "Sverige").
    name_mention: bool = False
    rare_name_idf: float = 1.5


@dataclass(frozen=True)
class Lexicon:
    """What the composer knows of the corpus: its analyzer, term IDFs, places, documents."""

    terms_of: Callable[[str], list[str]]
    idf: Mapping[str, float]
    places: Places | None = None
    # Document id → the names questions use for it ("pressmeddelandet", "dialogen").
    documents: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @cached_property
    def idf_ceiling(self) -> float:
        """The highest IDF, what a term the corpus never uses weighs (`term_coverage`)."""
        return max(self.idf.values(), default=1.0)

    @cached_property
    def document_terms(self) -> frozenset[str]:
        """Terms of the documents' names, once: every question is checked against them."""
        return frozenset(
            t
            for doc_id, names in self.documents.items()
            for n in (doc_id, *names)
            for t in self.terms_of(n)
        )


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    refused: bool
    cited_refs: tuple[int, ...]
    # The answer's pieces in order, each with its citations (what a stream sends).
    pieces: tuple[str, ...]
    coverage: float
    similarity: float
    units: tuple[AnswerUnit, ...] = ()
    # Every unit that met the question's needs, the chosen ones first, then by score: what
    # a language model's prompt shows, as far as its budget goes.
    ranked: tuple[AnswerUnit, ...] = ()
    # How far the evidence cleared the gate's similarity threshold (0 when refused there).
    gate_margin: float = 0.0


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, min(len(a), len(b)))


def _refusal(language: Language, coverage: float = 0.0, similarity: float = 0.0) -> ComposedAnswer:
    return ComposedAnswer(REFUSALS[language], True, (), (), coverage, similarity)


@dataclass(frozen=True)
class _Scored:
    unit: AnswerUnit
    score: float
    terms: set[str]


def _added_share(unit_terms: set[str], question: set[str], idf: Mapping[str, float]) -> float:
    total = sum(idf.get(t, 1.0) for t in unit_terms)
    new = sum(idf.get(t, 1.0) for t in unit_terms - question)
    return new / total if total else 0.0


def _meets_constraints(unit: AnswerUnit, needs: QuestionNeeds, required: Sequence[str]) -> bool:
    evidence = f"{unit.context} {unit.text}"
    return all(mentions(evidence, word) for word in (*needs.constraints, *needs.years, *required))


def _required_names(
    needs: QuestionNeeds, answer_type: str | None, lexicon: Lexicon, settings: ComposerSettings
) -> list[str]:
    """Names the answer must mention: a country the question names ("Finlands delegation"),
    and for a question that asks for a name, the rare names it asks about ("Vilka länder
    är med i NB8?" is not answered by a sentence on Nordic countries without NB8)."""
    required = []
    for name in needs.names:
        bare = name.removesuffix("s") if name.endswith("s") and len(name) > 4 else name
        if lexicon.places is not None and (
            lexicon.places.is_country(name) or lexicon.places.is_country(bare)
        ):
            required.append(bare)
            continue
        terms = lexicon.terms_of(name)
        rare = (
            bool(terms) and min(lexicon.idf.get(t, 99.0) for t in terms) >= settings.rare_name_idf
        )
        if answer_type == "name" and settings.name_mention and rare:
            required.append(name.split("-")[0])
    return required


def _score_units(
    units: Sequence[AnswerUnit],
    question_vector: np.ndarray,
    question_terms: Sequence[str],
    needs: QuestionNeeds,
    lexicon: Lexicon,
    settings: ComposerSettings,
) -> list[_Scored]:
    asked = set(question_terms)
    weighted = QuestionTerms(question_terms, lexicon.idf, lexicon.idf_ceiling)
    scored = []
    for unit in units:
        if unit.kind == "list" and len(unit.members) > settings.max_list_items:
            unit = AnswerUnit(
                "list", unit.members[: settings.max_list_items], unit.lead, unit.lead_heading
            )
        terms = set(lexicon.terms_of(unit.text))
        context_terms = set(lexicon.terms_of(unit.context))
        similarity = max(float(p.vector @ question_vector) for p in unit.parts)
        lexical = weighted.coverage(terms | context_terms)
        focus = (
            sum(mentions(f"{unit.context} {unit.text}", f) for f in needs.focus) / len(needs.focus)
            if needs.focus
            else 0.0
        )
        score = (
            similarity
            + settings.lexical_weight * lexical
            + settings.added_weight * _added_share(terms, asked, lexicon.idf)
            + settings.focus_weight * focus
            - settings.rank_penalty * unit.passage_rank
        )
        if unit.kind == "list":
            score += settings.list_weight if needs.wants_list else -settings.pair_penalty
        elif unit.kind == "pair":
            score -= settings.pair_penalty
        scored.append(_Scored(unit, score, terms))
    return sorted(scored, key=lambda s: -s.score)


def piece_deltas(pieces: Sequence[str]) -> list[str]:
    """Each piece with the separator before it: statements run on as prose, a list stands on
    lines of its own. Joined, they are the whole answer (what a stream sends, in order)."""
    deltas: list[str] = []
    previous = ""
    for piece in pieces:
        separator = "" if not deltas else "\n" if "\n" in piece or "\n" in previous else " "
        deltas.append(separator + piece)
        previous = piece
    return deltas


def join_pieces(pieces: Sequence[str]) -> str:
    return "".join(piece_deltas(pieces))


def compose_answer(
    question: str,
    question_vector: np.ndarray,
    question_terms: Sequence[str],
    language: Language,
    candidates: Sequence[CandidateSentence],
    lexicon: Lexicon,
    thresholds: RefusalThresholds,
    settings: ComposerSettings,
) -> ComposedAnswer:
    """Chooses the units that answer `question` and cites each as `[ref]`, or refuses."""
    pool = [c for c in candidates if c.passage_rank < settings.passages]
    if not pool:
        return _refusal(language)
    terms_of, idf = lexicon.terms_of, lexicon.idf
    # "… i pressmeddelandet" names where to look, not what to find there.
    naming = lexicon.document_terms
    question_terms = [t for t in question_terms if t not in naming] or list(question_terms)
    sentence_terms = [set(terms_of(c.text)) for c in pool]
    context_terms = {t for c in {c.context for c in pool} for t in terms_of(c)}
    evidence = set().union(context_terms, *sentence_terms)
    coverage = QuestionTerms(question_terms, idf, lexicon.idf_ceiling).coverage(evidence)
    similarities = [float(c.vector @ question_vector) for c in pool]
    answer_type = expected_answer_type(question)
    # A question for a person or a place is checked by its type below: its other words
    # ("Vem *citeras* …") need not be the documents' own.
    entity = answer_type in ENTITY_TYPES
    typed_gate = settings.typed_gate and answer_type in UNGATED_TYPES
    gate = thresholds
    if typed_gate:
        slack = settings.entity_similarity_slack
        gate = RefusalThresholds(thresholds.min_coverage, thresholds.min_similarity - slack)
    assessment = assess(1.0 if typed_gate else coverage, max(similarities), language, gate)
    if not assessment.answerable:
        return _refusal(language, coverage, assessment.similarity)
    needs = analyse(question, lexicon.documents)
    units = build_units(pool)
    if needs.document is not None:
        units = [u for u in units if u.doc_id == needs.document]
    # An English question names countries in English ("Sweden"); the documents do not.
    required = [] if language == "en" else _required_names(needs, answer_type, lexicon, settings)
    units = [u for u in units if _meets_constraints(u, needs, required)]
    if not units:
        return _refusal(language, coverage, assessment.similarity)
    ranked = _score_units(units, question_vector, question_terms, needs, lexicon, settings)
    best = ranked[0].score
    if answer_type is not None:

        def is_common(name: str) -> bool:
            terms = terms_of(name)
            return bool(terms) and max(idf.get(t, 0.0) for t in terms) < settings.common_name_idf

        margin = settings.entity_margin if entity else settings.typed_margin
        typed = [
            s
            for s in ranked
            if s.score >= best - margin
            and any(
                satisfies(answer_type, text, question, is_common, lexicon.places)
                for text in s.unit.statements
            )
        ]
        if not typed:
            return _refusal(language, coverage, assessment.similarity)
        # The unit that holds the asked-for number, year, place or name leads the answer; a
        # person, a place or a time is all the answer needs.
        rest = [] if settings.typed_only and entity else ranked
        ranked = typed + [s for s in rest if s not in typed]
        best = ranked[0].score
    chosen: list[_Scored] = []
    lead_refs = set(ranked[0].unit.refs)
    for candidate in ranked:
        if len(chosen) >= settings.max_sentences or candidate.score < best - settings.margin:
            break
        same_passage = set(candidate.unit.refs) <= lead_refs
        if not same_passage and candidate.score < best - settings.other_passage_margin:
            continue
        if any(candidate.unit.offsets & c.unit.offsets for c in chosen):
            continue
        if any(_overlap(candidate.terms, c.terms) > settings.duplicate_overlap for c in chosen):
            continue
        chosen.append(candidate)
    reading = sorted((c.unit for c in chosen), key=lambda u: u.order)
    pieces = tuple(unit.render() for unit in reading)
    if language == "en":
        pieces = (ENGLISH_PREFACE, *pieces)
    cited = tuple(dict.fromkeys(ref for unit in reading for ref in unit.refs))
    chosen_units = [c.unit for c in chosen]
    return ComposedAnswer(
        join_pieces(pieces),
        False,
        cited,
        pieces,
        coverage,
        assessment.similarity,
        tuple(reading),
        tuple(chosen_units + [s.unit for s in ranked if s.unit not in chosen_units]),
        assessment.similarity - gate.min_similarity,
    )


PART_NOT_ANSWERED: dict[Language, str] = {
    "sv": "Dokumenten svarar inte på frågan ”{part}”.",
    "en": "The documents do not answer “{part}”.",
}


def part_not_answered(language: Language, part: str) -> str:
    return PART_NOT_ANSWERED[language].format(part=part.rstrip("?"))


def unanswered_parts(
    language: Language, parts: Sequence[str], answers: Sequence[ComposedAnswer]
) -> UnansweredParts | None:
    """For a model's answer to a question asked in parts: the parts the documents do not
    answer, said so, and the others, to be asked (None when they answer every part, or
    none)."""
    refused = [part for part, answer in zip(parts, answers, strict=True) if answer.refused]
    answered = [part for part, answer in zip(parts, answers, strict=True) if not answer.refused]
    if not refused or not answered:
        return None
    return UnansweredParts(
        " ".join(part_not_answered(language, part) for part in refused), " ".join(answered)
    )


def combine_parts(
    language: Language, parts: Sequence[str], answers: Sequence[ComposedAnswer]
) -> ComposedAnswer:
    """One answer to a question asked in parts: each part's units in turn (a unit that
    answers both parts once), and a part the documents do not answer said so, not the whole
    question refused."""
    if all(a.refused for a in answers):
        first = answers[0]
        return _refusal(language, first.coverage, first.similarity)
    pieces: list[str] = []
    units: list[AnswerUnit] = []
    seen: set[tuple[str, int]] = set()
    for part, answer in zip(parts, answers, strict=True):
        if answer.refused:
            pieces.append(part_not_answered(language, part))
            continue
        for unit in answer.units:
            if unit.offsets & seen:
                continue
            seen |= unit.offsets
            units.append(unit)
            pieces.append(unit.render())
    if language == "en":
        pieces.insert(0, ENGLISH_PREFACE)
    cited = tuple(dict.fromkeys(ref for unit in units for ref in unit.refs))
    # The parts' units in turn, so that a prompt's budget covers every part.
    ranked = [u for row in zip_longest(*(a.ranked for a in answers)) for u in row if u]
    return ComposedAnswer(
        join_pieces(pieces),
        False,
        cited,
        tuple(pieces),
        min(a.coverage for a in answers),
        max(a.similarity for a in answers),
        tuple(units),
        tuple(ranked),
        min(a.gate_margin for a in answers if not a.refused),
    )
