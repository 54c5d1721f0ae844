"""Standalone questions from follow-ups, without an LLM (pure).

"Och vem ledde den?" after "Vilka departement fanns med i delegationen?" retrieves nothing
useful on its own. When a question reads as a follow-up, the previous question is put in
front of it, so that retrieval sees both the topic and the new ask.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.domain import Turn

_LEADING_CONJUNCTION = re.compile(r"^\s*(och|men|samt|också|även|and|but|also|so)\b[\s,]*", re.I)
# Words that point back at something said before.
_ANAPHORS = frozenset(
    """dess dem deras denna detta dessa där därför då sammanhanget området frågan samma
    den det de dom it its they them their there this these that those""".split()
)
# "det"/"den"/"de" are also articles ("det digitala informationsflödet"); they only count
# when the question has little content of its own.
_WEAK_ANAPHORS = frozenset("den det de dom".split())
_QUESTION_WORDS = frozenset(
    """vad vilka vilken vilket vem vems hur varför när var är finns kan ska bör har
    nämns sägs står säger enligt om i på med av för till från som och eller ett en
    what which who how why when where is are does do was were the a an of in on to for
    about with from say says said mention mentioned""".split()
)
# Adverbs that add no topic of their own ("Varför är det extra angeläget just nu?").
_FILLERS = frozenset("just nu extra now".split())
_NOT_OWN = _QUESTION_WORDS | _ANAPHORS | _FILLERS
MIN_OWN_WORDS = 3


def _words(text: str) -> list[str]:
    return re.findall(r"[\wåäöéÅÄÖÉ:-]+", text.lower())


def is_follow_up(question: str) -> bool:
    if _LEADING_CONJUNCTION.match(question):
        return True
    words = _words(question)
    own = [w for w in words if w not in _NOT_OWN]
    strong = [w for w in words if w in _ANAPHORS and w not in _WEAK_ANAPHORS]
    weak = [w for w in words if w in _WEAK_ANAPHORS]
    return bool(strong) or (bool(weak) and len(own) < MIN_OWN_WORDS) or len(own) < 2


def previous_question(history: Sequence[Turn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "user" and turn.content.strip():
            return turn.content.strip()
    return None


def standalone_question(question: str, history: Sequence[Turn]) -> str:
    """The query to retrieve with: the question itself, or the previous question + this one."""
    previous = previous_question(history)
    if previous is None or not is_follow_up(question):
        return question
    own = _LEADING_CONJUNCTION.sub("", question).strip()
    own = own[:1].upper() + own[1:]
    separator = " " if previous.endswith(("?", ".", "!")) else ". "
    return f"{previous}{separator}{own}"


class HeuristicRewriter:
    """The follow-up rewrite without a model: the rewriter of the extractive backend and the
    fallback of every other."""

    async def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        return standalone_question(question, history)
