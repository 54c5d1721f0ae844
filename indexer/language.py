"""A tiny Swedish/English detector (pure): the language of a question or a text."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["sv", "en"]

_ENGLISH = frozenset(
    "the what which who how does do is are was were of and to in on for about with say says "
    "said according why when where this that these those its their there can should would "
    "document documents strategy sweden swedish".split()
)
_SWEDISH = frozenset(
    "vad vilka vilken vilket hur varför när var är och att det som för på med om av den de "
    "har ska till säger enligt inom mot strategin sverige svenska också eller kan".split()
)


def detect_language(text: str) -> Language:
    words = re.findall(r"[a-zåäöé]+", text.lower())
    swedish = sum(w in _SWEDISH for w in words) + 2 * len(re.findall(r"[åäö]", text.lower()))
    english = sum(w in _ENGLISH for w in words)
    return "en" if english > swedish else "sv"
