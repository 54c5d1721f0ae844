"""Access control as a plain ASGI middleware: API keys for machine clients, a trusted proxy's
user header for staff in a browser, and a per-client rate limit."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.access.identity import Identity, clean_user
from app.access.keys import ApiKey, bearer_token, match_key, parse_key_file, parse_key_list
from app.access.networks import Network, client_address, is_trusted, parse_networks
from app.api.errors import error_response
from app.limits.bucket import Limit, RateLimiter
from app.settings import Settings

logger = logging.getLogger("app.access")

# Open to anyone even when keys are on: the health check, the chat page, the reading view's
# page (its text comes from the guarded GET /documents/{doc_id}) and the API docs.
OPEN_PATHS = frozenset(
    {"/health", "/", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/favicon.ico"}
)
OPEN_PREFIXES = ("/static/", "/dokument/")


class AccessConfigError(Exception):
    """The key file is missing or malformed; one line naming it."""


@dataclass(frozen=True)
class AccessPolicy:
    keys: tuple[ApiKey, ...] = ()
    proxies: tuple[Network, ...] = ()
    user_header: str | None = None

    @property
    def keys_on(self) -> bool:
        return bool(self.keys)

    @property
    def has_key_limits(self) -> bool:
        return any(k.per_minute is not None or k.burst is not None for k in self.keys)

    def limit_of(self, key_name: str | None, default: Limit) -> Limit:
        """A key's own limit where its line sets one (each part falls back to the default)."""
        key = next((k for k in self.keys if k.name == key_name), None) if key_name else None
        if key is None:
            return default
        return Limit(
            default.per_minute if key.per_minute is None else key.per_minute,
            default.burst if key.burst is None else key.burst,
        )


def load_access_policy(settings: Settings) -> AccessPolicy:
    """Reads the keys once, at start-up (RAG_API_KEYS and RAG_API_KEYS_FILE together)."""
    try:
        keys = parse_key_list(settings.api_keys or "")
        if settings.api_keys_file is not None:
            path = Path(settings.api_keys_file)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise AccessConfigError(
                    f"RAG_API_KEYS_FILE {path}: cannot read it ({exc.strerror or exc})"
                ) from exc
            keys += parse_key_file(text, f"RAG_API_KEYS_FILE {path}")
        names = [k.name for k in keys]
        if len(set(names)) != len(names):
            raise AccessConfigError("RAG_API_KEYS and RAG_API_KEYS_FILE name the same key twice")
        proxies = parse_networks(settings.trusted_proxies)
    except ValueError as exc:
        raise AccessConfigError(str(exc)) from exc
    return AccessPolicy(keys, proxies, settings.trusted_user_header)


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def identify(scope: Scope, policy: AccessPolicy) -> Identity:
    headers = Headers(scope=scope)
    client = scope.get("client")
    peer = str(client[0]) if client else ""
    from_proxy = is_trusted(peer, policy.proxies)
    user = None
    if from_proxy and policy.user_header:
        user = clean_user(headers.get(policy.user_header))
    address = client_address(peer, headers.get("x-forwarded-for"), policy.proxies)
    key = None
    token = bearer_token(headers.get("authorization"))
    if token is not None and policy.keys_on:
        found = match_key(token, policy.keys)
        key = found.name if found else None
    return Identity(client=address, key_name=key, user=user)


def identity_of(scope: Scope) -> Identity:
    identity = scope.get("state", {}).get("identity")
    return identity if isinstance(identity, Identity) else Identity(client="")


class AccessMiddleware:
    def __init__(
        self, app: ASGIApp, policy: AccessPolicy, limiter: RateLimiter | None = None
    ) -> None:
        self.app = app
        self.policy = policy
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        identity = identify(scope, self.policy)
        scope.setdefault("state", {})["identity"] = identity
        path = scope.get("path", "")
        if is_open(path):
            await self.app(scope, receive, send)
            return
        if self.policy.keys_on and not identity.authenticated:
            presented = bearer_token(Headers(scope=scope).get("authorization")) is not None
            logger.warning(
                "unauthenticated request refused",
                extra={"path": path, "client": identity.client, "key_presented": presented},
            )
            challenge = 'Bearer error="invalid_token"' if presented else "Bearer"
            response = error_response(
                401,
                "unauthorized",
                "This endpoint needs an API key: send 'Authorization: Bearer <key>'."
                if not presented
                else "The API key is not valid; ask the operator for a key.",
                headers={"WWW-Authenticate": challenge},
            )
            await response(scope, receive, send)
            return
        if self.limiter is not None:
            default = Limit(self.limiter.per_minute, self.limiter.burst)
            limit = self.policy.limit_of(identity.key_name, default)
            wait = self.limiter.take(identity.rate_key, time.monotonic(), limit)
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                logger.warning(
                    "rate limit reached",
                    extra={"client": identity.client, "principal": identity.principal},
                )
                response = error_response(
                    429,
                    "rate_limited",
                    f"Too many requests from this client; try again in {seconds} s.",
                    headers={"Retry-After": str(seconds)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
