"""Expected answer types ("Hur många …?" wants a number) and whether a sentence has one (pure).

An extractive system cannot tell from similarity alone that a passage about the D9+
network does not say how many countries it has; checking that the answer sentence
holds the kind of thing the question asks for catches most such cases.
"""

from __future__ import annotations

import re
from typing import Literal

AnswerType = Literal["number", "year", "date", "name"]

_PATTERNS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\b(vilket datum|vilken dag|what date|which date|what day)\b")),
    ("year", re.compile(r"\b(vilket år|vilka år|what year|which year|in which year)\b")),
    (
        "number",
        re.compile(r"\b(hur (många|mycket|stor|stora|stort)|how (many|much)|what amount)\b"),
    ),
    (
        "name",
        re.compile(
            r"\b(vad heter|vad hette|vilken stad|i vilken stad|what is the name|which city)\b"
        ),
    ),
)

_NUMBER_WORDS = frozenset(
    "två tre fyra fem sex sju åtta nio tio elva tolv tjugo trettio fyrtio femtio sextio "
    "hundra tusen miljon miljoner miljard miljarder dussin".split()
)
_MONTHS = "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
_PLAIN_NUMBER = re.compile(r"^\d+([.,]\d+)?%?$")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_DATE = re.compile(rf"\b\d{{1,2}} ({_MONTHS})\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"\b[A-ZÅÄÖÉ][a-zåäöéü]+\b")


def expected_answer_type(question: str) -> AnswerType | None:
    lowered = question.lower()
    for answer_type, pattern in _PATTERNS:
        if pattern.search(lowered):
            return answer_type
    return None


def _new_tokens(pattern: re.Pattern[str], sentence: str, question: str) -> list[str]:
    asked = {m.group(0).lower() for m in pattern.finditer(question)}
    return [m.group(0) for m in pattern.finditer(sentence) if m.group(0).lower() not in asked]


def satisfies(answer_type: AnswerType, sentence: str, question: str) -> bool:
    """Whether `sentence` holds an answer of `answer_type` that the question did not already."""
    question_words = set(re.findall(r"[\wåäöé+-]+", question.lower()))
    if answer_type == "number":
        tokens = re.findall(r"[\wåäöé+-]+", sentence.lower())
        # "5G", "D9+" and "NB8" are names, not amounts: only plain numbers count.
        return any(
            t not in question_words and (bool(_PLAIN_NUMBER.match(t)) or t in _NUMBER_WORDS)
            for t in tokens
        )
    if answer_type == "year":
        return bool(_new_tokens(_YEAR, sentence, question))
    if answer_type == "date":
        return bool(_new_tokens(_DATE, sentence, question))
    names = [w for w in _CAPITALISED.findall(sentence) if w.lower() not in question_words]
    # A name: a capitalised word not opening the sentence and not taken from the question.
    first = sentence.split()[0] if sentence.split() else ""
    return any(name != first for name in names)
