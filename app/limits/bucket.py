"""Per-client rate limiting with token buckets (pure: the clock is passed in)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    tokens: float
    updated: float


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

    @property
    def rate(self) -> float:
        return self.per_minute / 60.0

    def _refilled(self, bucket: TokenBucket, now: float) -> float:
        elapsed = max(0.0, now - bucket.updated)
        return min(float(self.burst), bucket.tokens + elapsed * self.rate)

    def take(self, key: str, now: float) -> float:
        """Takes one token: 0.0 when allowed, else the seconds until a token is available."""
        bucket = self.buckets.get(key)
        if bucket is None:
            self._make_room(now)
            bucket = self.buckets[key] = TokenBucket(float(self.burst), now)
        bucket.tokens = self._refilled(bucket, now)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def _make_room(self, now: float) -> None:
        """Keeps memory bounded: a full bucket is the same as no bucket, so those go first,
        then the least recently used."""
        if len(self.buckets) < self.max_keys:
            return
        for key in [k for k, b in self.buckets.items() if self._refilled(b, now) >= self.burst]:
            del self.buckets[key]
        while len(self.buckets) >= self.max_keys:
            oldest = min(self.buckets, key=lambda k: self.buckets[k].updated)
            del self.buckets[oldest]
