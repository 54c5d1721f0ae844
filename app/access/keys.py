"""API keys, stored only as sha256 digests and compared in constant time (pure functions)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

KEY_PREFIX = "rag_"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class KeyFormatError(ValueError):
    """A stored key line is malformed; the message names where and how to fix it."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    digest: str  # sha256 hex of the key
    # The key's own rate limit (requests a minute, burst); None: the service's default.
    per_minute: float | None = None
    burst: int | None = None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A random key with 256 bits of entropy, e.g. 'rag_Vq3…'."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


def key_line(name: str, key: str) -> str:
    """The line to store for a key: `name:sha256hex`."""
    if not valid_name(name):
        raise KeyFormatError(f"key name '{name}' must be 1–64 of A–Z a–z 0–9 _ . -")
    return f"{name}:{hash_key(key)}"


_OPTION = re.compile(r"^(rate|burst)=(\d{1,7}(?:\.\d+)?)$")


def _options(words: list[str], where: str) -> dict[str, float]:
    """`rate=N` (requests a minute, 0 for no limit) and `burst=N` after the digest."""
    options: dict[str, float] = {}
    for word in words:
        match = _OPTION.match(word)
        if not match or match.group(1) in options:
            raise KeyFormatError(
                f"{where}: '{word}' is not a limit; after the digest, write rate=N (requests a "
                "minute, 0 for none) and burst=N (at least 1), e.g. 'intranet:… rate=6000 "
                "burst=300'"
            )
        options[match.group(1)] = float(match.group(2))
    if "burst" in options and (options["burst"] < 1 or not options["burst"].is_integer()):
        raise KeyFormatError(f"{where}: burst must be a whole number of at least 1")
    return options


def parse_key(entry: str, where: str) -> ApiKey:
    """`name:sha256hex`, optionally followed by the key's own `rate=N burst=N`."""
    first, *rest = entry.split() or [""]
    name, sep, digest = first.partition(":")
    digest = digest.strip().lower()
    if not sep or not valid_name(name.strip()) or not _DIGEST.match(digest):
        raise KeyFormatError(
            f"{where}: expected 'name:sha256hex' (a name of A–Z a–z 0–9 _ . - and 64 hex "
            "digits); create one with `python -m app.access new NAME`"
        )
    options = _options(rest, where)
    burst = options.get("burst")
    return ApiKey(name.strip(), digest, options.get("rate"), None if burst is None else int(burst))


def parse_key_list(text: str, where: str = "RAG_API_KEYS") -> tuple[ApiKey, ...]:
    """Comma-separated `name:sha256hex` entries."""
    entries = [part for part in text.split(",") if part.strip()]
    return _unique(
        tuple(parse_key(e, f"{where} entry {i}") for i, e in enumerate(entries, 1)), where
    )


def parse_key_file(text: str, where: str) -> tuple[ApiKey, ...]:
    """One `name:sha256hex` per line; blank lines and lines starting with '#' are skipped."""
    keys = tuple(
        parse_key(line, f"{where}:{number}")
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    )
    return _unique(keys, where)


def _unique(keys: tuple[ApiKey, ...], where: str) -> tuple[ApiKey, ...]:
    names = [k.name for k in keys]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise KeyFormatError(f"{where}: duplicate key name(s) {', '.join(duplicates)}")
    return keys


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def match_key(presented: str, keys: tuple[ApiKey, ...]) -> ApiKey | None:
    """The key whose digest matches; every stored digest is compared, in constant time."""
    digest = hash_key(presented)
    found: ApiKey | None = None
    for key in keys:
        if hmac.compare_digest(digest, key.digest) and found is None:
            found = key
    return found
