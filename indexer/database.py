"""Connections to PostgreSQL for the store and its builder; errors name the URL, never
its password."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from indexer.store import StoreError

if TYPE_CHECKING:  # psycopg loads only where PostgreSQL is used (50 ms of start-up)
    import psycopg

# Seconds to wait for the server before saying it is not there.
CONNECT_TIMEOUT_S = 3


def redacted(url: str) -> str:
    """The URL as it may be shown: user, host, port and database, no password."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = (f"{parts.username}@" if parts.username else "") + host
        if parts.port:
            netloc += f":{parts.port}"
    except ValueError:
        return "<unparsable RAG_DATABASE_URL>"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def unreachable(url: str, exc: BaseException) -> StoreError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(
        f"PostgreSQL at {redacted(url)} is unreachable ({_without_secrets(reason, url)}); "
        "start the server or fix RAG_DATABASE_URL"
    )


def _without_secrets(text: str, url: str) -> str:
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text


def connect(url: str, autocommit: bool = False) -> psycopg.Connection:
    import psycopg

    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise unreachable(url, exc) from exc
