"""Request field types that accept exactly what the OpenAPI schema promises, and no more
(pydantic's lax mode would take "5" for an integer and 0 for a boolean)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, StrictBool
from pydantic.json_schema import JsonDict

# "Not only whitespace" for the OpenAPI schema: at least one character that str.strip() keeps.
# An explicit class, since `\s` means three different things to Python, ECMA and Rust regexes.
NOT_BLANK_PATTERN = (
    r"[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
NOT_BLANK: JsonDict = {"pattern": NOT_BLANK_PATTERN}


def json_number(value: object) -> object:
    """What JSON Schema calls a number (5 and 5.0 are integers), never "5" or true."""
    if isinstance(value, str | bool):
        raise ValueError("must be a JSON number, not a string or a boolean")
    return value


# Request fields take what the OpenAPI schema says and nothing pydantic would coerce:
# "5" is not an integer, 0 is not a boolean.
JsonInt = Annotated[int, BeforeValidator(json_number)]
JsonFloat = Annotated[float, BeforeValidator(json_number)]
JsonBool = StrictBool
