"""Splitting a question that asks two things into its parts (pure).

- "Hur nämns 6G i strategin respektive i pressmeddelandet?" → one part per document;
  also "… i strategin och i pressmeddelandet", "… strategin jämfört med pressmeddelandet",
  "enligt de två dokumenten".
- "Vem undertecknade strategin och vem citeras i pressmeddelandet?" → two questions, split
  where "och" (or ", and") is followed by a second question word.
- "I vilken stad hölls dialogen, och vilka departement ingick i delegationen?" → two
  questions that name at most one document, split when the second can be asked alone: a
  part the documents do not answer is then said so, not the whole question refused.
Each part is answered (and retrieved for) on its own, in the document it names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.answer.question_analysis import (
    DocumentNames,
    mentioned_documents,
    named_document,
    names_of,
)

_QUESTION_WORD = r"vem|vilka|vilken|vilket|vad|hur|när|var|varför|who|what|which|how|when|where|why"
# "… och vem …", "…, och i vilken stad …", "… and who …".
_SECOND_QUESTION = re.compile(
    rf",?\s+(?:och|samt|and)\s+(?=(?:(?:i|på|med|från|till|för|in|at|for|with|from|to)\s+)?"
    rf"(?:{_QUESTION_WORD})\b)",
    re.IGNORECASE,
)
# A second question that points back at the first ("…, och vad jämförs det med?", "… och
# vem ledde den?", "… och vad har den betydelse för?") cannot be asked alone. "den", "det",
# "de" are also articles: before weak adjectives and a definite noun ("den svenska
# delegationen", "de nordiska länderna") they point at nothing.
_BACK_REFERENCE = re.compile(
    r"\b(?:detta|denna|dessa|dess|deras|dem|han|hon|honom|henne|hans|hennes|"
    r"it|its|they|them|their|this|these|that|those|he|she|him|his|her)\b"
    r"|\b(?:det|den|de)\b(?!(?:\s+\w+[ae]){1,2}\s+\w+(?:en|et|na)\b)",
    re.IGNORECASE,
)
# Fewer words are not a question of their own ("…, och varför?", "… och hur många?").
MIN_PART_WORDS = 3
_JOINERS = r"respektive|jämfört med|och|samt|and|compared with|versus"
_BOTH_DOCUMENTS = re.compile(
    r"\b(enligt |i )?(de två dokumenten|båda dokumenten|both documents|the two documents)",
    re.IGNORECASE,
)
_PREPOSITIONS = r"(?:i |enligt |från |vid |in |from |at |according to )?(?:the )?"


@dataclass(frozen=True)
class QuestionPart:
    text: str
    # The document this part is to be answered from (its id), when it names one.
    document: str | None


def _doc_pattern(doc_id: str, documents: DocumentNames) -> str:
    names = sorted(names_of(doc_id, documents), key=len, reverse=True)
    return _PREPOSITIONS + "(?:" + "|".join(re.escape(n) for n in names) + r")\w*"


def _as_question(text: str) -> str:
    text = text.strip(" ,;–—")
    text = text[:1].upper() + text[1:]
    return text if text.endswith("?") else text + "?"


def _per_document(question: str, documents: DocumentNames) -> list[QuestionPart] | None:
    """ "X i A respektive i B Y" → "X i A Y", "X i B Y"."""
    ids = list(documents)
    for first in ids:
        for second in ids:
            if first == second:
                continue
            pair = re.compile(
                rf"({_doc_pattern(first, documents)})\s+(?:{_JOINERS})\s+"
                rf"({_doc_pattern(second, documents)})",
                re.IGNORECASE,
            )
            match = pair.search(question)
            if match:
                head, tail = question[: match.start()], question[match.end() :]
                return [
                    QuestionPart(_as_question(f"{head}{match.group(1)}{tail}"), first),
                    QuestionPart(_as_question(f"{head}{match.group(2)}{tail}"), second),
                ]
    both = _BOTH_DOCUMENTS.search(question)
    if both and len(ids) == 2:
        head, tail = question[: both.start()], question[both.end() :]
        # The name a question would use ("i strategin"), else the id.
        spoken = {d: (list(documents.get(d, ())) or [d])[0] for d in ids}
        return [
            QuestionPart(_as_question(f"{head}{both.group(1) or 'i '}{spoken[d]}{tail}"), d)
            for d in ids
        ]
    return None


def _stands_alone(first: str, second: str) -> bool:
    """Whether the two questions of one sentence can each be asked alone: a second part
    that points back at the first would lose what it refers to ("det", "den")."""
    words = [len(re.findall(r"\w+", piece)) for piece in (first, second)]
    return min(words) >= MIN_PART_WORDS and _BACK_REFERENCE.search(second) is None


def split_question(question: str, documents: DocumentNames) -> list[QuestionPart]:
    """The question's parts; one part (the question itself) when it asks one thing."""
    pieces = [p for p in _SECOND_QUESTION.split(question) if p.strip()]
    if len(pieces) == 2:
        parts = []
        for piece in pieces:
            named = mentioned_documents(piece, documents)
            parts.append(QuestionPart(_as_question(piece), named[0] if len(named) == 1 else None))
        documents_named = {p.document for p in parts}
        if None not in documents_named and len(documents_named) == 2:
            return parts
        # Each part keeps the document it names; one that names none searches both (the
        # question's other part may name the wrong one for it).
        if _stands_alone(pieces[0], pieces[1]):
            return parts
    per_document = _per_document(question, documents)
    if per_document is not None:
        return per_document
    return [QuestionPart(question, named_document(question, documents))]
