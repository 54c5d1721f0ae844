"""When to try an LLM call again, and how long to wait first (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def next_delay(
    policy: RetryPolicy,
    attempt: int,
    remaining_s: float,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None to give up.

    Full jitter (AWS architecture blog) spreads clients that failed together; a server's
    Retry-After wins over the backoff. Giving up when the wait would overrun the deadline
    keeps one slow upstream from holding the request past its budget.
    """
    if attempt >= policy.max_attempts:
        return None
    if retry_after_s is not None:
        delay = retry_after_s
    else:
        ceiling = min(policy.max_delay_s, policy.base_delay_s * 2 ** (attempt - 1))
        delay = (rng or random).uniform(0, ceiling)
    return delay if delay < remaining_s else None
