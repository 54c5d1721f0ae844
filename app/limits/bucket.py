"""Per-client rate limiting with token buckets (pure: the clock is passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limit:
    """`per_minute` on average, bursts of up to `burst`; per_minute 0 is no limit."""

    per_minute: float
    burst: int

    @property
    def unlimited(self) -> bool:
        return self.per_minute <= 0


@dataclass
class TokenBucket:
    tokens: float
    updated: float
    limit: Limit


@dataclass
class RateLimiter:
    """`per_minute` requests a minute on average, bursts of up to `burst`, per key.

    >>> limiter = RateLimiter(per_minute=60, burst=2)
    >>> [limiter.take("ip:10.0.0.1", now=0.0) for _ in range(3)]
    [0.0, 0.0, 1.0]
    """

    per_minute: float
    burst: int
    max_keys: int = 10_000
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def _refilled(self, bucket: TokenBucket, now: float) -> float:
        elapsed = max(0.0, now - bucket.updated)
        rate = bucket.limit.per_minute / 60.0
        return min(float(bucket.limit.burst), bucket.tokens + elapsed * rate)

    def take(self, key: str, now: float, limit: Limit | None = None) -> float:
        """Takes one token: 0.0 when allowed, else the seconds until a token is available.
        `limit` replaces the default for this key (an API key's own limit)."""
        limit = limit or Limit(self.per_minute, self.burst)
        if limit.unlimited:
            return 0.0
        bucket = self.buckets.get(key)
        if bucket is None:
            self._make_room(now)
            bucket = self.buckets[key] = TokenBucket(float(limit.burst), now, limit)
        bucket.limit = limit
        bucket.tokens = self._refilled(bucket, now)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / (limit.per_minute / 60.0)

    def _make_room(self, now: float) -> None:
        """Keeps memory bounded: a full bucket is the same as no bucket, so those go first,
        then the least recently used."""
        if len(self.buckets) < self.max_keys:
            return
        full = [k for k, b in self.buckets.items() if self._refilled(b, now) >= b.limit.burst]
        for key in full:
            del self.buckets[key]
        while len(self.buckets) >= self.max_keys:
            oldest = min(self.buckets, key=lambda k: self.buckets[k].updated)
            del self.buckets[oldest]
