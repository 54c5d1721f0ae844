"""One input policy for every text field the service reads (questions, queries, history,
/v1 messages, feedback, chunk ids): pure functions, applied by the request schemas.

A text is cleaned the same way everywhere, then checked:

1. a lone surrogate (``"\\ud800"``, which JSON allows and UTF-8 cannot hold) is refused;
2. it is normalised to NFC (``"a\\u030a"`` and ``"å"`` are one question);
3. control characters other than tab, line feed and carriage return (NUL among them) and
   format characters (zero-width spaces and joiners, the BOM, soft hyphens, and the
   bidirectional embeddings, overrides and isolates such as U+202E) are removed: they are
   invisible, and an override can make a stored comment read other than it is;
4. surrounding whitespace is trimmed;
5. a required text with no visible character left is refused, naming the field;
6. the size is bounded in characters (code points, as JSON Schema's maxLength counts them)
   and in UTF-8 bytes, both counted on the text as sent.

So a question of ``"\\u0000\\u0000"`` or ``"\\u200b"`` is a 422, and ``"Na\\u0000to?"`` is
asked, stored and answered as ``"Nato?"``.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass

# Kept: the whitespace controls a text may hold.
_KEPT_CONTROLS = frozenset("\t\n\r")
# Letters and symbols that render as nothing (Hangul fillers, the braille blank): kept, since
# they are not format characters, but they do not make a text visible.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf"})
_SURROGATES = range(0xD800, 0xE000)


class TextPolicyError(ValueError):
    """Why a text was refused; pydantic reports it with the field's name."""


@dataclass(frozen=True)
class TextRule:
    """The bounds of one field. `max_bytes` defaults to 4 × `max_chars`, UTF-8's most per
    code point, for fields whose schema bounds them in characters; a field the schema
    leaves open (a /v1 message) sets it lower."""

    max_chars: int | None
    max_bytes: int | None = None
    required: bool = True

    @property
    def byte_limit(self) -> int | None:
        if self.max_bytes is not None:
            return self.max_bytes
        return None if self.max_chars is None else 4 * self.max_chars


def is_removed(char: str) -> bool:
    """A control or format character the policy removes (never tab, line feed or CR)."""
    return char not in _KEPT_CONTROLS and unicodedata.category(char) in _REMOVED_CATEGORIES


def is_visible(char: str) -> bool:
    return not (char.isspace() or is_removed(char) or char in _BLANK_LOOKING)


def has_visible(text: str) -> bool:
    return any(is_visible(char) for char in text)


def _lone_surrogate(text: str) -> int | None:
    for position, char in enumerate(text):
        if ord(char) in _SURROGATES:
            return position
    return None


def clean(text: str) -> str:
    """NFC, without removed characters, trimmed (idempotent; refuses nothing)."""
    normalised = unicodedata.normalize("NFC", text)
    kept = "".join(char for char in normalised if not is_removed(char))
    # Removing a character can bring a base and a combining mark together: normalise again.
    return unicodedata.normalize("NFC", kept).strip()


def check(text: str, rule: TextRule) -> str:
    """The cleaned text, or a TextPolicyError that says what is wrong and what is allowed."""
    position = _lone_surrogate(text)
    if position is not None:
        raise TextPolicyError(
            f"holds a lone surrogate (U+{ord(text[position]):04X}) at character {position}, "
            "which is not Unicode text; send the text as UTF-8"
        )
    if rule.max_chars is not None and len(text) > rule.max_chars:
        raise TextPolicyError(f"has {len(text)} characters; at most {rule.max_chars}")
    size = len(text.encode("utf-8"))
    limit = rule.byte_limit
    if limit is not None and size > limit:
        raise TextPolicyError(f"is {size} bytes in UTF-8; at most {limit}")
    cleaned = clean(text)
    if rule.required and not has_visible(cleaned):
        raise TextPolicyError(
            "has no visible characters (only whitespace, control or zero-width characters); "
            "write the text"
        )
    return cleaned


def check_optional(text: str | None, rule: TextRule) -> str | None:
    """For optional fields: None, or a text with nothing visible, becomes None."""
    if text is None:
        return None
    cleaned = check(text, TextRule(rule.max_chars, rule.max_bytes, required=False))
    return cleaned if has_visible(cleaned) else None


def _class_ranges(codes: list[int]) -> str:
    """A regex character class body for `codes` (sorted): \\uXXXX escapes in the BMP,
    literal characters beyond it (Python's re and ECMA regexes with the u flag read both)."""

    def one(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    parts: list[str] = []
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code == previous + 1:
            previous = code
            continue
        parts.append(one(start) if start == previous else f"{one(start)}-{one(previous)}")
        start = previous = code
    return "".join(parts)


# Planes 2 to 13 hold no whitespace, control or format character (the test checks them all).
_SCANNED = (range(0x20000), range(0xE0000, sys.maxunicode + 1))


def _invisible_codes() -> list[int]:
    return [
        code
        for plane in _SCANNED
        for code in plane
        if code not in _SURROGATES and not is_visible(chr(code))
    ]


# "At least one visible character", for the OpenAPI schema: one character outside the class
# of what is whitespace, removed or blank-looking (derived from is_visible, so the two agree
# by construction; tests/app/test_text_policy.py checks every code point). Surrogates stay
# out of the class: an ECMA-262 regex engine in Unicode mode (jsonschema-rs, which
# schemathesis validates with) rejects a class that names them, and then generates against
# no pattern at all; a lone surrogate is refused by check() whatever the pattern says.
# Written out, not derived at import (a scan of every code point costs 90 ms of start-up):
# derived_visible_pattern() gives it (Unicode 14.0.0 here) and a test compares the two.
VISIBLE_PATTERN = (
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f"
    "\\u0890-\\u0891\\u08e2\\u115f-\\u1160\\u1680\\u180e\\u2000-\\u200f\\u2028-"
    "\\u202f\\u205f-\\u2064\\u2066-\\u206f\\u2800\\u3000\\u3164\\ufeff\\uffa0"
    "\\ufff9-\\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-"
    "\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def derived_visible_pattern() -> str:
    return f"[^{_class_ranges(_invisible_codes())}]"
