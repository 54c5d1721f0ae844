"""What a question asks for and what it demands of an answer (pure).

- Focus: the word after the question word that names what is asked for ("Vilka
  *fokusområden* …", "Vad *omfattar* …"): a unit that holds it, or whose heading does,
  answers better than one that only repeats the question's other words.
- Constraints: qualifiers that any answer must meet, in the unit or its heading: a
  nationality ("den *amerikanska* delegationen"), a year ("*2019*"). A question whose
  constraint no unit meets is not answered by the documents.
- The document a question names ("i pressmeddelandet", "enligt strategin").
- Whether it asks for a list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.answer.answer_type import NAME, opens_text

# Words after "vilka/vilken/which" that say nothing about what is asked for.
_GENERIC_FOCUS = frozenset(
    "del delar typ typer sorts sortens slags sätt form former exempel sak saker ting "
    "kind kinds type types sort sorts part parts example examples way ways".split()
)
_WH_NOUN = re.compile(
    r"\b(?:vilk(?:a|en|et)|which|what)\s+((?:[\wåäöé-]+\s+){0,2}?)([\wåäöé-]+)", re.IGNORECASE
)
_VAD_VERB = re.compile(r"^\W*(?:och\s+)?vad\s+([\wåäöé]+)", re.IGNORECASE)
# "Vad är/gör/ska …": the verb says nothing about the answer; the rest of the question does.
_LIGHT_VERBS = frozenset(
    "är var blir blev gör gjorde ska skall bör kan vill har hade säger sade sa "
    "står finns menas ligger handlar anges nämns framgår sägs".split()
)
_NATIONALITY = re.compile(
    r"\b(amerikansk|svensk|rysk|kinesisk|ukrainsk|europeisk|nordisk|brittisk|fransk|tysk|"
    r"finsk|norsk|dansk|estnisk|lettisk|litauisk|japansk|indisk|iransk|nordkoreansk|"
    r"american|swedish|russian|chinese|ukrainian|european|nordic|british|french|german)"
    r"\w*",
    re.IGNORECASE,
)
# The documents are Swedish: "the Swedish delegation" is met by "den svenska delegationen".
_SWEDISH_NATIONALITY = {
    "american": "amerikansk",
    "swedish": "svensk",
    "russian": "rysk",
    "chinese": "kinesisk",
    "ukrainian": "ukrainsk",
    "european": "europeisk",
    "nordic": "nordisk",
    "british": "brittisk",
    "french": "fransk",
    "german": "tysk",
}
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
# "Vilket land är (för närvarande) ordförande i …?": the role the answer must hold. The
# members of a coalition do not say which of them chairs it.
_PREDICATE = re.compile(
    r"^\W*(?:och\s+)?(?:vilk(?:et|en|a)\s+[\wåäöé-]+|vem|who|which\s+\w+)\s+"
    r"(?:är|var|blir|blev|is|was|are|were)\s+((?:[\wåäöé-]+\s+){0,3})",
    re.IGNORECASE,
)
_PREDICATE_SKIP = frozenset(
    "för närvarande nu just idag i dag numera särskilt också även den det de en ett "
    "mest viktigast currently now also the a an".split()
)
_PREPOSITIONS = frozenset(
    "enligt med i på för av om till inom mot hos vid från under över efter "
    "according with in on for of about to within against at from under over after".split()
)
_LIST_CUES = re.compile(
    r"\b(vilka|vad (?:omfattar|innefattar|ingår|inkluderar|rör)|vad ska .* omfatta|"
    r"which|what are|list)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuestionNeeds:
    focus: tuple[str, ...]
    constraints: tuple[str, ...]
    years: tuple[str, ...]
    document: str | None
    wants_list: bool
    # Names the question asks about ("NB8", "Finlands"): a name question's answer mentions them.
    names: tuple[str, ...] = ()


def _focus_words(question: str) -> list[str]:
    words: list[str] = []
    for match in _WH_NOUN.finditer(question):
        adjectives, noun = match.group(1).split(), match.group(2)
        candidates = [noun, *reversed(adjectives)]
        for word in candidates:
            lowered = word.lower()
            if lowered in _GENERIC_FOCUS or lowered in _LIGHT_VERBS:
                continue
            words.append(lowered)
            break
    verb = _VAD_VERB.match(question)
    if verb and verb.group(1).lower() not in _LIGHT_VERBS:
        words.append(verb.group(1).lower())
    return words


DocumentNames = Mapping[str, Sequence[str]]
_PLACING = r"(?:i|enligt|från|vid|under|in|from|at|during|according to)\s+(?:the\s+)?"


def names_of(doc_id: str, documents: DocumentNames) -> list[str]:
    return [doc_id, *documents.get(doc_id, ())]


def _name_pattern(doc_id: str, documents: DocumentNames) -> str:
    names = sorted(names_of(doc_id, documents), key=len, reverse=True)
    return "(?:" + "|".join(re.escape(n.lower()) for n in names) + r")\w*"


def named_document(question: str, documents: DocumentNames) -> str | None:
    """The one document the question places its answer in ("i pressmeddelandet", "enligt
    strategin", "vid dialogen": the manifest's `names`), if it names one and not both."""
    lowered = question.lower()
    named = [
        doc_id
        for doc_id in documents
        if re.search(rf"\b{_PLACING}{_name_pattern(doc_id, documents)}", lowered)
    ]
    return named[0] if len(named) == 1 else None


def mentioned_documents(text: str, documents: DocumentNames) -> list[str]:
    """Every document the text names at all ("Vem undertecknade strategin …")."""
    lowered = text.lower()
    return [
        doc_id
        for doc_id in documents
        if re.search(rf"\b{_name_pattern(doc_id, documents)}", lowered)
    ]


def _predicate(question: str) -> list[str]:
    match = _PREDICATE.match(question)
    if match is None:
        return []
    for word in match.group(1).lower().split():
        if word not in _PREDICATE_SKIP:
            # "enligt …", "med i …" and the like open an adverbial, not the role asked about.
            return [] if word in _PREPOSITIONS else [word]
    return []


def question_names(question: str) -> list[str]:
    """Capitalised words and acronyms of the question but its first word ("NB8-samarbetet"
    → "NB8", "Finlands" → "Finland"), lower-cased."""
    names = []
    for match in NAME.finditer(question):
        if opens_text(question, match.start()):
            continue
        name = match.group(0).removesuffix(":s")
        names.append(name.lower())
    return names


def analyse(question: str, documents: DocumentNames | None = None) -> QuestionNeeds:
    nationalities = [
        _SWEDISH_NATIONALITY.get(m.group(1).lower(), m.group(1).lower())
        for m in _NATIONALITY.finditer(question)
    ]
    constraints = tuple(dict.fromkeys([*nationalities, *_predicate(question)]))
    return QuestionNeeds(
        focus=tuple(dict.fromkeys(_focus_words(question))),
        constraints=constraints,
        years=tuple(dict.fromkeys(_YEAR.findall(question))),
        document=named_document(question, documents or {}),
        wants_list=bool(_LIST_CUES.search(question)),
        names=tuple(dict.fromkeys(question_names(question))),
    )


def mentions(text: str, word: str) -> bool:
    """`word` (or a year) occurs in `text`, also inflected or in a compound: "amerikansk"
    is met by "amerikanska", "fokusområden" by "Fokusområden – handel"."""
    lowered = text.lower()
    if word.isdigit():
        return word in lowered
    stem = word[: max(5, len(word) - 2)]
    return stem in lowered
