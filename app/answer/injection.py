"""Removes instruction-like sentences from passages before a model reads them (pure).

The prompt already tells the model that passages are data; a small model does not always
listen. A sentence in a policy document that tells its reader to ignore instructions, reveal
a prompt or answer with a given word is not policy text, so it is cut out of what the model
sees (the passage stays searchable and quotable as it is).
"""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.sentences import split_sentences

REMOVED = "[…]"
_PATTERNS = [
    r"\b(ignorera|strunta i|bortse från|glöm)\b.{0,60}\b(instruktion|regler|anvisning|prompt)",
    r"\b(ignore|disregard|forget)\b.{0,60}\b(instruction|rule|prompt|guideline)",
    r"\b(visa|avslöja|skriv ut|upprepa|återge)\b.{0,40}\b(system\s?prompt|instruktioner)",
    r"\b(reveal|print|show|repeat|output)\b.{0,40}\b(system\s?prompt|instructions)",
    r"\b(svara|skriv)\s+(endast|bara|enbart)\s+med\b",
    r"\b(answer|reply|respond)\s+(only\s+)?with\s+(only\s+)?the\s+word\b",
    r"\b(du är nu|från och med nu är du|you are now|act as)\b",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.I | re.S)


# The extractive backend asks this of every retrieved sentence, and the same corpus sentences
# come back question after question.
@lru_cache(maxsize=8192)
def is_instruction(sentence: str) -> bool:
    return bool(_INJECTION.search(sentence))


def without_instructions(text: str) -> str:
    """`text` with every instruction-like sentence replaced by `[…]`."""
    if not _INJECTION.search(text):
        return text
    pieces: list[str] = []
    cursor = 0
    for span in split_sentences(text):
        pieces.append(text[cursor : span.start])
        sentence = text[span.start : span.end]
        pieces.append(REMOVED if is_instruction(sentence) else sentence)
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)
