"""Swedish text analysis for lexical search: tokens, stop words, stems, compounds (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

_TOKEN = re.compile(r"[0-9a-zåäöéü]+(?:-[0-9a-zåäöéü]+)*", re.IGNORECASE)

STOP_WORDS = frozenset(
    """
    alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig din
    dina ditt du där då efter ej eller en er era ert ett från för ha hade han hans har henne
    hennes hon honom hur här i icke ingen inom inte jag ju kan kunde man med mellan men mig
    min mina mitt mot mycket ni nu när någon något några och om oss på samma sedan sig sin
    sina sitta själv skulle som så sådan sådana sådant till under upp ut utan vad var vara
    varför varit varje vars vart vem vi vid vilka vilkas vilken vilket vår våra vårt än är
    åt över också även ska skall bör kommer finns gör görs sägs säger enligt samt vilket
    vilken dvs bl.a t.ex nämns nämner står strategin dokumentet dokumenten strategi
    the a an of and or to in on for is are was were be by with what which who how does do
    about say says said according
    """.split()
)

# Shortest compound part worth matching on its own ("cyber", "säkerhet", "telekom").
_MIN_PART = 4
_MIN_COMPOUND = 8
_LINKING = ("s", "")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("swedish")


def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def raw_tokens(text: str) -> list[str]:
    """Lower-cased word tokens; hyphenated words also yield their parts ("FN-stadgan")."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        word = match.group(0)
        parts = word.split("-")
        tokens.append(word.replace("-", ""))
        if len(parts) > 1:
            tokens.extend(p for p in parts if p)
    return tokens


@dataclass(frozen=True)
class CompoundSplitter:
    """Splits Swedish compounds into parts that occur as words of the corpus.

    `cyberangrepp` → `cyber` + `angrepp` when both are known words, so a question
    about "angrepp" also matches "cyberangrepp". Parts may be joined by a linking `s`
    (`säkerhet-s-certifiering`).
    """

    vocabulary: frozenset[str]

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> CompoundSplitter:
        words = {t for text in texts for t in raw_tokens(text) if len(t) >= _MIN_PART}
        return cls(frozenset(words | {stem(w) for w in words}))

    def _known(self, part: str) -> bool:
        return part in self.vocabulary or stem(part) in self.vocabulary

    def split(self, word: str) -> list[str]:
        """The compound's parts (longest head first), or [] when it is not a compound."""
        if len(word) < _MIN_COMPOUND:
            return []
        for cut in range(len(word) - _MIN_PART, _MIN_PART - 1, -1):
            head, tail = word[:cut], word[cut:]
            for link in _LINKING:
                if link and not head.endswith(link):
                    continue
                stem_head = head[: len(head) - len(link)] if link else head
                if len(stem_head) < _MIN_PART or not self._known(stem_head):
                    continue
                head_parts = self.split(stem_head) or [stem_head]
                if self._known(tail):
                    return [*head_parts, tail]
                rest = self.split(tail)
                if rest:
                    return [*head_parts, *rest]
        return []


@dataclass(frozen=True)
class Analyzer:
    splitter: CompoundSplitter | None = None

    @classmethod
    def for_corpus(cls, texts: Iterable[str], compound_splitting: bool = True) -> Analyzer:
        """Compounds split into parts that occur as words of these texts (or not at all)."""
        return cls(CompoundSplitter.from_texts(texts) if compound_splitting else None)

    def terms(self, text: str) -> list[str]:
        """Index/query terms: stems of content words plus stems of compound parts."""
        terms: list[str] = []
        for token in raw_tokens(text):
            if token in STOP_WORDS or len(token) < 2:
                continue
            terms.append(stem(token))
            if self.splitter is not None:
                terms.extend(stem(part) for part in self.splitter.split(token))
        return terms
