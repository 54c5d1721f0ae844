"""Expected answer types ("Hur många …?" wants a number) and whether a sentence has one (pure).

An extractive system cannot tell from similarity alone that a passage about the D9+
network does not say how many countries it has; checking that the answer sentence
holds the kind of thing the question asks for catches most such cases: a count needs its
number next to what is counted, "which country/agency/city" needs a name the question does
not already contain. (Tuning figures: eval/TUNING.md.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, Protocol

AnswerType = Literal["number", "year", "date", "time", "city", "place", "person", "name"]


class Places(Protocol):
    """A gazetteer: whether a name is a city's or a country's."""

    def is_city(self, name: str) -> bool: ...

    def is_country(self, name: str) -> bool: ...


# Kinds of thing that are answered with a proper name (a country, an agency, a city).
_NAMED_KINDS_SV = (
    "land|länder|stat|stater|myndighet|myndigheter|organisations?|organisationer|företag"
)
_NAMED_KINDS_EN = "country|countries|agency|agencies|organi[sz]ations?|company|companies"
# Verbs and roles that make "vem/who" ask for a person; "Vem står för majoriteten av
# medlen?" asks for an actor ("den privata sektorn") and is left to the other checks.
_PERSON_CUES = (
    r"undertecknat|undertecknade|citeras|citerades|sade|sa|säger|uttalade|talade|"
    r"minister|utrikesminister|sändebud|ordförande|statssekreterare|ambassadör|"
    r"signed|quoted|said|says|envoy|minister|chairs?"
)

_PATTERNS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    ("date", re.compile(r"\b(vilket datum|vilken dag|what date|which date|what day)\b")),
    ("year", re.compile(r"\b(vilket år|vilka år|what year|which year|in which year)\b")),
    ("time", re.compile(r"^\W*(och |and )?(när|when)\b")),
    ("city", re.compile(r"\b(vilken stad|vilka städer|which city|what city|which cities)\b")),
    (
        "place",
        re.compile(
            r"\b(var (hölls|ägde|äger|sker|skedde|genomfördes|arrangerades|hålls|möttes)"
            r"|where (was|were|is|did|will|do))\b"
        ),
    ),
    ("person", re.compile(rf"^\W*(och |and )?(vem|vilka personer|who)\b.*\b({_PERSON_CUES})\b")),
    # "Vilket statsråd …", "Vilken minister …", "Which minister …": a person by office. Not
    # "Vilka personer utsätts för …", which asks for a kind of people.
    (
        "person",
        re.compile(
            r"\b(vilk(en|et|a)( \w+)? (statsråd|ministern?|ministrar)"
            r"|which( \w+)? (minister|ministers))\b"
        ),
    ),
    (
        "number",
        re.compile(
            r"\b(hur (många|mycket|stor|stora|stort)|how (many|much)|what amount"
            r"|vad (kostar|kostade|kostnaden)|what does \w+( \w+)? cost)\b"
        ),
    ),
    (
        "name",
        re.compile(
            r"\b(vad heter|vad hette|what is the name"
            # "vilket land", "vilken svensk myndighet", "vilka åtta länder", "which city"
            rf"|vilk(en|et|a)( \w+)? ({_NAMED_KINDS_SV})|which( \w+)? ({_NAMED_KINDS_EN}))\b"
        ),
    ),
)

_NUMBER_WORDS = frozenset(
    "två tre fyra fem sex sju åtta nio tio elva tolv tjugo trettio fyrtio femtio sextio "
    "hundra tusen miljon miljoner miljard miljarder dussin".split()
)
_MONTHS = "januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
_PLAIN_NUMBER = re.compile(r"^\d+([.,]\d+)?%?$")
# "Hur många förtroendeskapande åtgärder …": what is counted follows the question word.
_COUNT = re.compile(r"\b(hur (många|mycket|stor|stora|stort)|how (many|much)|what amount)\b")
_AMOUNT = re.compile(r"\b(hur (mycket|stor|stora|stort)|how much|what amount|kosta|kostar|cost)")
# Function words: skipped before what is counted, and they end it.
_FILLERS = frozenset(
    "är var blir blev den det de en ett ungefär totalt sammanlagt har hade kan ska som och "
    "eller i på för av om till med inom mot hos vid från under "
    "is are was were the a an does do did has have can will that which and or "
    "of in on for to at with from by under approximately about roughly".split()
)
# An amount ("hur stor budget", "how much") may be given in money or as a share.
_AMOUNT_UNITS = ("kronor", "kr", "euro", "dollar", "usd", "sek", "eur", "procent", "%")
UNIT_WINDOW = 3
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_DATE = re.compile(rf"\b\d{{1,2}} ({_MONTHS})\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b", re.IGNORECASE)
# A capitalised word or an acronym: "Sydkorea", "ITU", "EU:s", "NB8", "D9+".
NAME = re.compile(r"(?<![\wåäöéÅÄÖÉ])[A-ZÅÄÖÉ][\wåäöéüÅÄÖÉ+]*(?::s)?")
_WORD = re.compile(r"[\wåäöé+:]+")
_MONTH = re.compile(
    rf"\b({_MONTHS}|january|february|march|april|may|june|july|august|"
    r"september|october|november|december)\b",
    re.IGNORECASE,
)
# A run of two or more capitalised words: "Tobias Billström", "Maria Malmer Stenergard".
_NAME_RUN = re.compile(r"(?<![\wåäöéÅÄÖÉ])(?:[A-ZÅÄÖÉ][\wåäöéüÅÄÖÉ-]+\s+)+[A-ZÅÄÖÉ][\wåäöéüÅÄÖÉ-]+")
_PERSON_ROLES = re.compile(
    r"\b(säger|sade|sa|says|said)\b|\b(utrikesminister|statsminister|minister|sändebud|"
    r"ordförande|statssekreterare|ambassadör|generaldirektör|chef|envoy|chair)\w*",
    re.IGNORECASE,
)
PERSON_WINDOW = 40  # characters between a name and the role or speech verb that makes it a person


def opens_text(text: str, start: int) -> bool:
    """Whether a word at `start` is the text's first: capitalised anyway, so not a name."""
    return not re.search(r"[\wåäöé]", text[:start])


def expected_answer_type(question: str) -> AnswerType | None:
    lowered = question.lower()
    for answer_type, pattern in _PATTERNS:
        if pattern.search(lowered):
            return answer_type
    return None


def _new_tokens(pattern: re.Pattern[str], sentence: str, question: str) -> list[str]:
    asked = {m.group(0).lower() for m in pattern.finditer(question)}
    return [m.group(0) for m in pattern.finditer(sentence) if m.group(0).lower() not in asked]


def _base(word: str) -> str:
    """ "EU:s" → "eu", "Sveriges" stays (checked against the question with and without -s)."""
    word = word.lower()
    return word[:-2] if word.endswith(":s") else word


def _question_words(question: str) -> set[str]:
    """The question's words, their hyphen parts ("NB8-samarbetet" → "nb8") and genitives."""
    words: set[str] = set()
    for word in _WORD.findall(question.lower().replace("-", " - ")):
        words.add(_base(word))
    return words | {w + "s" for w in words}


def new_names(
    sentence: str, question: str, is_common: Callable[[str], bool] | None = None
) -> list[str]:
    """Names in `sentence` that the question does not already mention.

    The sentence's first word is capitalised anyway; a name the question uses (also in the
    genitive, "Sveriges") is not an answer; `is_common` drops names that occur nearly
    everywhere in the corpus ("Sverige" in a Swedish strategy) and so answer nothing.
    """
    asked = _question_words(question)
    names = []
    for match in NAME.finditer(sentence):
        if opens_text(sentence, match.start()):
            continue  # the sentence's first word
        name = match.group(0)
        if _base(name) in asked or (is_common is not None and is_common(name)):
            continue
        names.append(name)
    return names


def counted_words(question: str) -> list[str]:
    """The words after "hur många/how many" up to the next function word: what is counted.

    "hur stor är den svenska budgeten för …" → ["svenska", "budgeten"].
    """
    match = _COUNT.search(question.lower())
    if match is None:
        return []
    words: list[str] = []
    for word in re.findall(r"[\wåäöé%-]+", question.lower()[match.end() :]):
        if word in _FILLERS:
            if words:
                break
            continue
        words.append(word)
    return words[:3]


# Ways of counting the members of a group: "hur många stater" is answered by "40 medlemsländer".
_MEMBER_WORDS = re.compile(
    r"^(?:\w*länd\w*|land|stat|stater|\w*stat\w*|nation\w*|medlem\w*|countr\w*|states?|"
    r"members?|nations?|deltagar\w*|participants?)$"
)


def _same_word(a: str, b: str) -> bool:
    """Loose match for inflections and compounds: "medlemsländer" ~ "länder", "euros" ~ "euro",
    and member counts: "stater" ~ "medlemsländer"."""
    if min(len(a), len(b)) < 4:
        return False
    if _MEMBER_WORDS.match(a) and _MEMBER_WORDS.match(b):
        return True
    return a[:4] == b[:4] or a.endswith(b) or b.endswith(a)


def has_counted_number(sentence: str, question: str) -> bool:
    """A number the question does not contain, next to what the question counts.

    "5G", "D9+" and "NB8" are names, not amounts: only plain numbers and number words count.
    When the question says what it counts ("hur många länder", "how many euros"), the number
    must stand within a few words of it (or of a money or percent unit for "hur stor/mycket"):
    "två spår" does not answer "hur stor är budgeten". A cost ("vad kostar …") needs money.
    """
    question_words = set(re.findall(r"[\wåäöé+-]+", question.lower()))
    tokens = re.findall(r"[\wåäöé+%-]+", sentence.lower())
    units = counted_words(question)
    amount = bool(_AMOUNT.search(question.lower()))
    for index, token in enumerate(tokens):
        if token in question_words:
            continue
        if not (_PLAIN_NUMBER.match(token) or token in _NUMBER_WORDS):
            continue
        if not units and not amount:
            return True
        near = tokens[max(0, index - UNIT_WINDOW) : index + UNIT_WINDOW + 1]
        if token.endswith("%") or any(_same_word(w, u) for w in near for u in units):
            return True
        if amount and any(w in _AMOUNT_UNITS for w in near):
            return True
    return False


def has_person(sentence: str, question: str) -> bool:
    """A person's name the question does not contain: two or more capitalised words next to
    a role or a speech verb ("säger Andrés Jato", "utrikesminister Tobias Billström",
    a signature "Maria Malmer Stenergard – Utrikesminister"). An agency is not a person."""
    asked = _question_words(question)
    for match in _NAME_RUN.finditer(sentence):
        words = match.group(0).split()
        if opens_text(sentence, match.start()):
            words = words[1:]  # the sentence's first word is capitalised anyway
        if len(words) < 2 or all(_base(w) in asked for w in words):
            continue
        around = sentence[max(0, match.start() - PERSON_WINDOW) : match.end() + PERSON_WINDOW]
        if _PERSON_ROLES.search(around):
            return True
    return False


_LOCATIVE = re.compile(r"\b(i|in|at|vid|på)\s+$", re.IGNORECASE)


def has_place(sentence: str, question: str, is_place: Callable[[str], bool]) -> bool:
    """A place (from the gazetteer, not just any capitalised word) the question does not name."""
    asked = _question_words(question)
    for match in NAME.finditer(sentence):
        name = match.group(0)
        # The sentence's first word is capitalised anyway ("Den" is also a Dutch town's name).
        if _base(name) in asked or opens_text(sentence, match.start()):
            continue
        # Where something happened is said with a preposition of place: "i Washington", not
        # "hot från Ryssland, Iran och Nordkorea".
        if not _LOCATIVE.search(sentence[: match.start()]):
            continue
        if is_place(name.removesuffix(":s")):
            return True
    return False


def _any_place(places: Places) -> Callable[[str], bool]:
    return lambda name: places.is_city(name) or places.is_country(name)


def has_time(sentence: str, question: str) -> bool:
    return bool(
        _new_tokens(_YEAR, sentence, question)
        or _new_tokens(_DATE, sentence, question)
        or _new_tokens(_MONTH, sentence, question)
    )


def satisfies(
    answer_type: AnswerType,
    sentence: str,
    question: str,
    is_common: Callable[[str], bool] | None = None,
    places: Places | None = None,
) -> bool:
    """Whether `sentence` holds an answer of `answer_type` that the question did not already."""
    if answer_type == "time":
        return has_time(sentence, question)
    if answer_type == "person":
        return has_person(sentence, question)
    if answer_type == "city":
        return places is not None and has_place(sentence, question, places.is_city)
    if answer_type == "place":
        return places is not None and has_place(sentence, question, _any_place(places))
    if answer_type == "number":
        return has_counted_number(sentence, question)
    if answer_type == "year":
        return bool(_new_tokens(_YEAR, sentence, question))
    if answer_type == "date":
        return bool(_new_tokens(_DATE, sentence, question))
    return bool(new_names(sentence, question, is_common))
