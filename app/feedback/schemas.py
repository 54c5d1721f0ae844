"""Request and response schemas of the feedback endpoints (the HTTP edge)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from app.schema_types import (
    NOT_BLANK,
    JsonBool,
    JsonFloat,
    JsonInt,
    json_number,
    police,
    policed,
    policed_optional,
)
from app.text_policy import TextRule

MAX_COMMENT_CHARS = 2000
MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 20_000
MAX_CITATIONS = 50
MAX_CHUNK_ID_CHARS = 200

# Every text field goes through the input policy (app.text_policy): NFC, no control or
# format characters (NUL is removed before the row is stored), bounded in characters and
# bytes; a required one with nothing visible is a 422 naming it.
CHUNK_ID_RULE = TextRule(MAX_CHUNK_ID_CHARS)
ChunkId = Annotated[
    str, Field(min_length=1, max_length=MAX_CHUNK_ID_CHARS, json_schema_extra=NOT_BLANK)
]


def _optional(max_chars: int) -> AfterValidator:
    return policed_optional(TextRule(max_chars))


class FeedbackCitation(BaseModel):
    """A cited passage as the answer listed it; only `chunk_id` is required."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: Annotated[ChunkId, policed(CHUNK_ID_RULE)] = Field(description="Passagens id.")
    ref: Annotated[int, Field(ge=1), BeforeValidator(json_number)] | None = Field(
        default=None, description="Numret [n] i svaret."
    )
    doc_id: Annotated[str | None, _optional(200)] = Field(default=None, max_length=200)
    title: Annotated[str | None, _optional(1000)] = Field(default=None, max_length=1000)
    section: Annotated[str | None, _optional(2000)] = Field(default=None, max_length=2000)
    page: JsonInt | None = None
    text: Annotated[str | None, _optional(20_000)] = Field(default=None, max_length=20_000)
    score: JsonFloat | None = None


def _police_citation(citation: str | FeedbackCitation) -> str | FeedbackCitation:
    """A plain chunk id through the policy after the union, so an error names `citations.<i>`."""
    return police(citation, CHUNK_ID_RULE) if isinstance(citation, str) else citation


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "question": "Hur många förtroendeskapande åtgärder har OSSE antagit?",
                    "answer": "OSSE har antagit 16 förtroendeskapande åtgärder. [1]",
                    "rating": "up",
                    "comment": "Tydligt svar.",
                    "citations": ["strategi:0061"],
                    "backend": "extractive",
                }
            ]
        },
    )

    question: Annotated[str, policed(TextRule(MAX_QUESTION_CHARS))] = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="Frågan.",
        json_schema_extra=NOT_BLANK,
    )
    answer: Annotated[str, policed(TextRule(MAX_ANSWER_CHARS))] = Field(
        min_length=1,
        max_length=MAX_ANSWER_CHARS,
        description="Svaret som bedömdes.",
        json_schema_extra=NOT_BLANK,
    )
    rating: Literal["up", "down"] = Field(description="Tummen upp ('up') eller ned ('down').")
    comment: Annotated[str | None, _optional(MAX_COMMENT_CHARS)] = Field(
        default=None,
        max_length=MAX_COMMENT_CHARS,
        description="Valfri kommentar (högst 2 000 tecken).",
    )
    citations: list[Annotated[ChunkId | FeedbackCitation, AfterValidator(_police_citation)]] = (
        Field(
            default_factory=list,
            max_length=MAX_CITATIONS,
            description="Svarets källor: passage-id:n eller citatobjekt från POST /ask.",
        )
    )
    backend: Annotated[str, policed(TextRule(100))] = Field(
        min_length=1,
        max_length=100,
        description="Svarsmotorn som svarade.",
        json_schema_extra=NOT_BLANK,
    )
    search_query: Annotated[str | None, _optional(MAX_QUESTION_CHARS)] = Field(
        default=None, max_length=MAX_QUESTION_CHARS, description="Sökfrågan som användes."
    )
    refused: JsonBool = Field(default=False, description="Om svaret var ett avböjande.")
    degraded: JsonBool = Field(default=False, description="Om svaret var en nödlösning.")


class FeedbackCreated(BaseModel):
    id: int = Field(description="Omdömets id.")
    stored_at: str = Field(description="När omdömet sparades (ISO 8601, UTC).")
