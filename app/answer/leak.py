"""Holds back streamed text until it cannot be the start of a secret (pure)."""

from __future__ import annotations


def contains_secret(text: str, secret: str) -> bool:
    return bool(secret) and secret.lower() in text.lower()


class LeakDetected(Exception):
    """The stream contained the secret."""


class LeakGuard:
    """Passes deltas through, except a tail that could still become `secret`.

    >>> guard = LeakGuard("KANARIE-1")
    >>> guard.feed("Svar KAN"), guard.feed("SKE"), guard.flush()
    ('Svar ', 'KANSKE', '')
    """

    def __init__(self, secret: str) -> None:
        self._secret = secret.lower()
        self._pending = ""

    def feed(self, delta: str) -> str:
        if not self._secret:
            return delta
        text = self._pending + delta
        if contains_secret(text, self._secret):
            raise LeakDetected("the stream repeated the system prompt")
        keep = 0
        for size in range(min(len(text), len(self._secret) - 1), 0, -1):
            if self._secret.startswith(text[-size:].lower()):
                keep = size
                break
        self._pending = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return rest
