"""Request field types that accept exactly what the OpenAPI schema promises, and no more
(pydantic's lax mode would take "5" for an integer and 0 for a boolean)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StrictBool
from pydantic.json_schema import JsonDict
from pydantic_core import PydanticCustomError

from app.text_policy import VISIBLE_PATTERN, TextPolicyError, TextRule, check, check_optional

# "At least one visible character" for the OpenAPI schema (app.text_policy derives the class;
# an explicit one, since `\s` means three different things to Python, ECMA and Rust regexes).
NOT_BLANK_PATTERN = VISIBLE_PATTERN
NOT_BLANK: JsonDict = {"pattern": NOT_BLANK_PATTERN}


def _refusing(policy: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def validate(value: Any) -> Any:
        try:
            return policy(value)
        except TextPolicyError as exc:  # reported as "<field>: <what is wrong>"
            raise PydanticCustomError("text_policy", str(exc)) from None

    return validate


def police(value: str, rule: TextRule) -> str:
    """The policy as a plain validator step, for a field that needs more than one rule."""
    return str(_refusing(lambda text: check(text, rule))(value))


def policed(rule: TextRule) -> AfterValidator:
    """The input policy (app.text_policy) on a required text field: cleaned, or refused."""
    return AfterValidator(_refusing(lambda value: check(value, rule)))


def policed_optional(rule: TextRule) -> AfterValidator:
    """The policy on an optional field: a text with nothing visible becomes None."""
    return AfterValidator(_refusing(lambda value: check_optional(value, rule)))


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
