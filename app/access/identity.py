"""Who made a request, as the access middleware established it (pure)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_USER_CHARS = 200


@dataclass(frozen=True)
class Identity:
    client: str  # the client's address (behind a trusted proxy: the one it forwarded)
    key_name: str | None = None  # the API key's name, never the key
    user: str | None = None  # the user a trusted proxy named

    @property
    def authenticated(self) -> bool:
        return self.key_name is not None or self.user is not None

    @property
    def principal(self) -> str | None:
        """The name stored with feedback and written to logs."""
        return self.user or (f"key:{self.key_name}" if self.key_name else None)

    @property
    def rate_key(self) -> str:
        if self.key_name:
            return f"key:{self.key_name}"
        if self.user:
            return f"user:{self.user}"
        return f"ip:{self.client}"


def clean_user(value: str | None) -> str | None:
    """A user name from a proxy header, or None when absent or not a plausible name."""
    if value is None:
        return None
    name = value.strip()
    if not name or len(name) > MAX_USER_CHARS or not name.isprintable():
        return None
    return name
