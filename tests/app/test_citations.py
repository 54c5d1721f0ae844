"""Marker cleaning, sentence splitting and the streaming filter on plain strings."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.answer.citations import (
    CitationStreamFilter,
    check_answer,
    clean_markers,
    is_refusal,
    split_answer_sentences,
)
from app.answer.refusals import REFUSALS

VALID = frozenset({1, 2, 3})


def _markers(text: str) -> list[int]:
    # A citation is one to three digits (MARKER): "[1212]" is text, like a year in brackets.
    return [int(n) for n in re.findall(r"\[\s*(\d{1,3})\s*\]", text)]


# clean_markers


def test_invalid_numbers_are_removed_and_counted() -> None:
    assert clean_markers("EU är viktigt [1][7].", VALID) == ("EU är viktigt [1].", 1)


def test_marker_with_no_valid_number_leaves_no_space_before_punctuation() -> None:
    assert clean_markers("EU är viktigt [9].", VALID) == ("EU är viktigt.", 1)
    assert clean_markers("Först [9] , sedan [2].", VALID) == ("Först, sedan [2].", 1)


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("[1, 2]", "[1][2]"),
        ("[1;3]", "[1][3]"),
        ("[1 ; 3]", "[1][3]"),
        ("[1-3]", "[1][2][3]"),
        ("[1–3]", "[1][2][3]"),
        ("[ 2 ]", "[2]"),
        ("[2, 2]", "[2]"),
    ],
)
def test_groups_are_rewritten_as_single_markers(group: str, expected: str) -> None:
    text, _ = clean_markers(f"Sverige deltar {group}.", VALID)
    assert text == f"Sverige deltar {expected}."


def test_group_keeps_only_its_valid_numbers() -> None:
    assert clean_markers("Text [2, 5, 3].", VALID) == ("Text [2][3].", 1)


def test_wide_range_is_not_expanded() -> None:
    # "[1-200]" is two numbers, not two hundred; 200 points at nothing.
    assert clean_markers("Text [1-200].", VALID) == ("Text [1].", 1)


@pytest.mark.parametrize(
    "echo",
    ['[passage nr="1"]', '<passage nr="2">', "</passage>", '< passage nr="3" dokument="x">'],
)
def test_prompt_tag_echoes_are_removed(echo: str) -> None:
    text, removed = clean_markers(f"{echo} Sverige deltar i EU [1].", VALID)
    assert text == "Sverige deltar i EU [1]."
    assert removed == 0


@pytest.mark.parametrize("text", ["Se bilaga [a].", "Nätverket [NB8] möts.", "Listan [x, y]."])
def test_non_marker_brackets_are_left_alone(text: str) -> None:
    assert clean_markers(text, VALID) == (text, 0)


def test_repeated_spaces_collapse_and_text_is_stripped() -> None:
    assert clean_markers("  Ett  [9]  två [1]. ", VALID) == ("Ett två [1].", 1)


# split_answer_sentences


def test_marker_after_full_stop_stays_with_its_sentence() -> None:
    assert split_answer_sentences("Sverige deltar i EU. [1] Samarbetet växer. [2][3]") == [
        "Sverige deltar i EU. [1]",
        "Samarbetet växer. [2][3]",
    ]


def test_marker_before_full_stop() -> None:
    assert split_answer_sentences("Sverige deltar i EU [1]. Samarbetet växer [2]!") == [
        "Sverige deltar i EU [1].",
        "Samarbetet växer [2]!",
    ]


@pytest.mark.parametrize("abbreviation", ["t.ex.", "bl.a.", "s.k.", "dvs.", "ca.", "T.ex."])
def test_abbreviations_do_not_split(abbreviation: str) -> None:
    text = f"Sverige samarbetar {abbreviation} Nato och EU [1]. Det är viktigt [2]."
    assert split_answer_sentences(text) == [
        f"Sverige samarbetar {abbreviation} Nato och EU [1].",
        "Det är viktigt [2].",
    ]


def test_newlines_and_list_lines_split() -> None:
    text = "Strategin nämner:\n- cybersäkerhet [1]\n- handel [2]\n\nSlutligen EU [3]."
    assert split_answer_sentences(text) == [
        "Strategin nämner:",
        "- cybersäkerhet [1]",
        "- handel [2]",
        "Slutligen EU [3].",
    ]


def test_lowercase_after_full_stop_does_not_split() -> None:
    # Only a capital, a digit or a list sign begins a new sentence.
    assert split_answer_sentences("Version 2. och sedan mer [1].") == [
        "Version 2. och sedan mer [1]."
    ]


def test_fragments_without_words_are_dropped() -> None:
    assert split_answer_sentences("Ja [1].\n\n- \n...") == ["Ja [1]."]


# is_refusal


@pytest.mark.parametrize("refusal", list(REFUSALS.values()))
def test_refusals_in_both_languages(refusal: str) -> None:
    assert is_refusal(refusal)
    assert is_refusal(refusal.rstrip("."))
    assert is_refusal(f"  {refusal.upper()}  ")
    assert is_refusal(refusal.replace(".", " [1]."))


@pytest.mark.parametrize(
    "text",
    [
        "Det framgår inte av dokumenten om Sverige deltar.",
        "The documents do not say much about 5G.",
        "Sverige deltar i EU [1].",
        "",
    ],
)
def test_answers_are_not_refusals(text: str) -> None:
    assert not is_refusal(text)


# check_answer


def test_refused_answer_has_no_citations_or_unsupported_sentences() -> None:
    checked = check_answer(REFUSALS["sv"], VALID)
    assert checked.refused
    assert checked.cited_refs == ()
    assert checked.unsupported_sentences == ()


def test_refusal_with_an_invalid_marker_is_still_a_refusal() -> None:
    checked = check_answer("The documents do not say [8].", VALID)
    assert checked.refused
    assert checked.text == "The documents do not say."
    assert checked.removed_markers == 1


def test_cited_refs_are_unique_in_order_of_appearance() -> None:
    checked = check_answer("EU nämns [3, 1]. Nato nämns [1]. Handel nämns [2][3].", VALID)
    assert not checked.refused
    assert checked.cited_refs == (3, 1, 2)
    assert checked.unsupported_sentences == ()
    assert checked.text == "EU nämns [3][1]. Nato nämns [1]. Handel nämns [2][3]."


def test_sentences_without_a_valid_marker_are_unsupported() -> None:
    checked = check_answer("EU nämns [1]. Nato nämns [7]. Handel nämns också.", VALID)
    assert checked.unsupported_sentences == ("Nato nämns.", "Handel nämns också.")
    assert checked.cited_refs == (1,)
    assert checked.removed_markers == 1


def test_lead_in_ending_with_colon_is_not_unsupported() -> None:
    checked = check_answer("Strategin nämner följande:\n- EU [1]\n- Nato", VALID)
    assert checked.unsupported_sentences == ("- Nato",)


# CitationStreamFilter


def _stream(deltas: list[str], valid: frozenset[int] = VALID) -> str:
    stream = CitationStreamFilter(valid)
    return "".join(stream.feed(delta) for delta in deltas) + stream.flush()


def _cuts(text: str, positions: list[int]) -> list[str]:
    bounds = sorted({0, len(text), *(p % (len(text) + 1) for p in positions)})
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def test_bracket_split_across_deltas_becomes_one_marker() -> None:
    assert _stream(["EU nämns [", "1]."]) == "EU nämns [1]."
    assert _stream(["EU nämns [1", ", ", "3", "]."]) == "EU nämns [1][3]."


def test_invalid_marker_split_across_deltas_never_appears() -> None:
    stream = CitationStreamFilter(VALID)
    outputs = [stream.feed(delta) for delta in ["EU nämns [", "9", "]", " och Nato [2]."]]
    outputs.append(stream.flush())
    assert "9" not in "".join(outputs)
    assert "".join(outputs) == "EU nämns  och Nato [2]."


def test_open_bracket_is_held_back_until_it_closes() -> None:
    stream = CitationStreamFilter(VALID)
    assert stream.feed("EU nämns [1") == "EU nämns "
    assert stream.feed("]") == "[1]"


def test_flush_releases_an_unclosed_bracket() -> None:
    stream = CitationStreamFilter(VALID)
    assert stream.feed("Tabell [2") == "Tabell "
    assert stream.flush() == "[2"
    assert stream.flush() == ""


def test_non_marker_brackets_pass_through() -> None:
    assert _stream(["Nätverket [N", "B8] möts [", "a]."]) == "Nätverket [NB8] möts [a]."


# Text built from pieces that make markers, near-markers and plain words likely.
_pieces = st.sampled_from(
    ["[", "]", "1", "2", "3", "4", "9", "12", ",", ";", "-", "–", " ", "\n", "EU", "a", "."]
)
_texts = st.lists(_pieces, max_size=40).map("".join)
_positions = st.lists(st.integers(min_value=0, max_value=200), max_size=12)


@given(_texts, _positions)
def test_stream_does_not_depend_on_how_text_is_cut(text: str, positions: list[int]) -> None:
    assert _stream(_cuts(text, positions)) == _stream([text])


@given(_texts, _positions)
def test_stream_keeps_exactly_the_valid_markers(text: str, positions: list[int]) -> None:
    out = _stream(_cuts(text, positions))
    expected, _ = clean_markers(text, VALID)
    assert _markers(out) == _markers(expected)
    assert set(_markers(out)) <= VALID


@given(st.lists(st.sampled_from([1, 2, 3, 4, 5, 6, 7, 8, 9]), min_size=1, max_size=8), _positions)
def test_long_marker_groups_survive_any_cut(numbers: list[int], positions: list[int]) -> None:
    text = "EU nämns [" + ", ".join(map(str, numbers)) + "]."
    out = _stream(_cuts(text, positions))
    assert out == _stream([text])
    assert _markers(out) == [n for n in dict.fromkeys(numbers) if n in VALID]
