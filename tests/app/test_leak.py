"""The streaming guard that keeps the system prompt's canary out of answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.answer.leak import LeakDetected, LeakGuard

SECRET = "KANARIE-5f3a"


def run(guard: LeakGuard, deltas: list[str]) -> str:
    return "".join(guard.feed(d) for d in deltas) + guard.flush()


def cuts(text: str, positions: list[int]) -> list[str]:
    points = sorted({p % (len(text) + 1) for p in positions})
    bounds = [0, *points, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


@given(st.text(alphabet="abcKANRIE- ", max_size=60), st.lists(st.integers(0, 60), max_size=8))
def test_text_without_the_secret_passes_unchanged(text: str, positions: list[int]) -> None:
    if SECRET.lower() in text.lower():
        return
    assert run(LeakGuard(SECRET), cuts(text, positions)) == text


@given(st.text(max_size=20), st.text(max_size=20), st.lists(st.integers(0, 60), max_size=8))
def test_the_secret_is_never_emitted_however_it_is_cut(
    before: str, after: str, positions: list[int]
) -> None:
    guard = LeakGuard(SECRET)
    emitted = ""
    with pytest.raises(LeakDetected):
        for delta in cuts(before + SECRET.upper() + after, positions):
            emitted += guard.feed(delta)
    assert SECRET.lower() not in emitted.lower()


def test_an_empty_secret_guards_nothing() -> None:
    assert run(LeakGuard(""), ["a", "b"]) == "ab"
