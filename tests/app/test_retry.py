"""Retry-After parsing and jittered backoff on a fixed clock and a seeded random source."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.backends.retry import RetryPolicy, next_delay, parse_retry_after

NOW = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=5, base_delay_s=0.25, max_delay_s=1.0)


@pytest.mark.parametrize(("value", "seconds"), [("120", 120.0), (" 3 ", 3.0), ("0", 0.0)])
def test_retry_after_in_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_retry_after_as_http_date_is_relative_to_now() -> None:
    assert parse_retry_after("Mon, 01 Jan 2024 12:00:30 GMT", NOW) == 30.0


def test_retry_after_date_without_zone_is_read_as_utc() -> None:
    assert parse_retry_after("Mon, 01 Jan 2024 12:01:00", NOW) == 60.0


def test_retry_after_in_the_past_is_zero() -> None:
    assert parse_retry_after("Mon, 01 Jan 2024 11:00:00 GMT", NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "-5", "1.5", "Mon, 99 Foo"])
def test_bad_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


@pytest.mark.parametrize("attempt", [5, 6])
def test_no_delay_once_attempts_are_exhausted(attempt: int) -> None:
    assert next_delay(POLICY, attempt, remaining_s=60.0, retry_after_s=0.1) is None


def test_retry_after_wins_over_backoff() -> None:
    assert next_delay(POLICY, 1, remaining_s=60.0, retry_after_s=2.5) == 2.5


def test_retry_after_past_the_deadline_gives_up() -> None:
    assert next_delay(POLICY, 1, remaining_s=2.0, retry_after_s=2.5) is None
    assert next_delay(POLICY, 1, remaining_s=2.0, retry_after_s=2.0) is None


def test_backoff_past_the_deadline_gives_up() -> None:
    assert next_delay(POLICY, 1, remaining_s=0.0, rng=random.Random(1)) is None


def test_same_seed_gives_the_same_delay() -> None:
    first = next_delay(POLICY, 2, remaining_s=60.0, rng=random.Random(7))
    second = next_delay(POLICY, 2, remaining_s=60.0, rng=random.Random(7))
    assert first is not None
    assert first == second


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=4))
def test_full_jitter_stays_under_the_capped_exponential(seed: int, attempt: int) -> None:
    delay = next_delay(POLICY, attempt, remaining_s=60.0, rng=random.Random(seed))
    ceiling = min(POLICY.max_delay_s, POLICY.base_delay_s * 2 ** (attempt - 1))
    assert delay is not None
    assert 0.0 <= delay <= ceiling


def test_later_attempts_can_wait_longer() -> None:
    rng = random.Random(3)
    first = [next_delay(POLICY, 1, 60.0, rng=rng) for _ in range(200)]
    third = [next_delay(POLICY, 3, 60.0, rng=rng) for _ in range(200)]
    assert max(d for d in first if d is not None) <= 0.25
    assert max(d for d in third if d is not None) > 0.5
