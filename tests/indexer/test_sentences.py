"""Swedish sentence splitting with exact character offsets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.documents import Span
from indexer.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Det s.k. D9+-nätverket är viktigt. Sverige ingår.",
            ["Det s.k. D9+-nätverket är viktigt.", "Sverige ingår."],
        ),
        (
            "Svenska intressenter, dvs. företag, myndigheter. Nästa mening.",
            ["Svenska intressenter, dvs. företag, myndigheter.", "Nästa mening."],
        ),
        ("Ny teknik, dvs. AI, förändrar allt.", ["Ny teknik, dvs. AI, förändrar allt."]),
        (
            "Digitala verktyg, t.ex. AI, används. Det kräver regler.",
            ["Digitala verktyg, t.ex. AI, används.", "Det kräver regler."],
        ),
        (
            "Sverige samverkar bl.a. EU och m.fl. Nato.",
            ["Sverige samverkar bl.a. EU och m.fl. Nato."],
        ),
        ("Se kap. 3 och jfr. Bilaga 2.", ["Se kap. 3 och jfr. Bilaga 2."]),
    ],
)
def test_abbreviations_do_not_end_a_sentence(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hej. Nej? Kanske… Javisst!", ["Hej.", "Nej?", "Kanske…", "Javisst!"]),
        ("Det är 2030. 12 mål finns.", ["Det är 2030.", "12 mål finns."]),
        ('Han sa "Nej." Sedan gick han.', ['Han sa "Nej."', "Sedan gick han."]),
        ("Åtgärder krävs. Även Östersjön berörs.", ["Åtgärder krävs.", "Även Östersjön berörs."]),
        ("Listan: – Ett. – Två.", ["Listan: – Ett.", "– Två."]),
        ("Ingen punkt i slutet", ["Ingen punkt i slutet"]),
    ],
)
def test_normal_sentence_ends_split(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Version 3.5 av modellen finns.",  # a decimal point
        "Punkt slut.Utan mellanslag.",  # no space after the stop
        "Stor efterfrågan. men liten bokstav.",  # lower case after the stop
        "Se www.regeringen.se för mer.",
    ],
)
def test_no_split_without_space_and_capital(text: str) -> None:
    assert sentences(text) == [text]


def test_spans_map_back_to_the_text_with_an_offset() -> None:
    text = "Första meningen. Andra meningen! Tredje?"
    spans = split_sentences(text, offset=100)
    assert spans == [Span(100, 116), Span(117, 132), Span(133, 140)]
    padded = " " * 100 + text
    assert [padded[s.start : s.end] for s in spans] == [
        "Första meningen.",
        "Andra meningen!",
        "Tredje?",
    ]


def test_whitespace_is_trimmed_from_every_span() -> None:
    text = "  \n Inledande mening.   \n\n  Sista mening.  \n"
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == ["Inledande mening.", "Sista mening."]
    assert spans[0].start == 4
    assert spans[-1].end == len(text) - 3


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t"])
def test_blank_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


_WORD = st.sampled_from(
    ["Sverige", "ska", "verka", "för", "EU", "och", "Nato", "s.k.", "t.ex.", "AI", "2030", "då"]
)
_SENTENCE = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(_WORD, min_size=1, max_size=8),
    st.sampled_from([".", "!", "?", "", "…"]),
)


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(_SENTENCE, min_size=1, max_size=6),
    st.sampled_from([" ", "  ", "\n", " \n "]),
    st.integers(min_value=0, max_value=500),
)
def test_spans_are_ordered_trimmed_and_cover_every_word(
    parts: list[str], separator: str, offset: int
) -> None:
    text = separator + separator.join(parts) + separator
    spans = split_sentences(text, offset=offset)
    local = [(s.start - offset, s.end - offset) for s in spans]
    pieces = [text[start:end] for start, end in local]
    assert all(piece and piece == piece.strip() for piece in pieces)
    assert all(a[1] <= b[0] for a, b in zip(local, local[1:], strict=False))
    assert " ".join(pieces).split() == text.split()
