"""Request and response schemas of the feedback endpoints (the HTTP edge)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from app.schema_types import NOT_BLANK, JsonBool, JsonFloat, JsonInt, json_number

MAX_COMMENT_CHARS = 2000
MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 20_000
MAX_CITATIONS = 50


ChunkId = Annotated[str, Field(min_length=1, max_length=200)]


class FeedbackCitation(BaseModel):
    """A cited passage as the answer listed it; only `chunk_id` is required."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: str = Field(min_length=1, max_length=200, description="Passagens id.")
    ref: Annotated[int, Field(ge=1), BeforeValidator(json_number)] | None = Field(
        default=None, description="Numret [n] i svaret."
    )
    doc_id: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=1000)
    section: str | None = Field(default=None, max_length=2000)
    page: JsonInt | None = None
    text: str | None = Field(default=None, max_length=20_000)
    score: JsonFloat | None = None


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain text, not only whitespace")
    return value.strip()


def _blank_to_none(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()


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

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="Frågan.",
        json_schema_extra=NOT_BLANK,
    )
    answer: str = Field(
        min_length=1,
        max_length=MAX_ANSWER_CHARS,
        description="Svaret som bedömdes.",
        json_schema_extra=NOT_BLANK,
    )
    rating: Literal["up", "down"] = Field(description="Tummen upp ('up') eller ned ('down').")
    comment: str | None = Field(
        default=None,
        max_length=MAX_COMMENT_CHARS,
        description="Valfri kommentar (högst 2 000 tecken).",
    )
    citations: list[ChunkId | FeedbackCitation] = Field(
        default_factory=list,
        max_length=MAX_CITATIONS,
        description="Svarets källor: passage-id:n eller citatobjekt från POST /ask.",
    )
    backend: str = Field(
        min_length=1,
        max_length=100,
        description="Svarsmotorn som svarade.",
        json_schema_extra=NOT_BLANK,
    )
    search_query: str | None = Field(
        default=None, max_length=MAX_QUESTION_CHARS, description="Sökfrågan som användes."
    )
    refused: JsonBool = Field(default=False, description="Om svaret var ett avböjande.")
    degraded: JsonBool = Field(default=False, description="Om svaret var en nödlösning.")

    _strip = field_validator("question", "answer", "backend")(_not_blank)
    _optional = field_validator("comment", "search_query")(_blank_to_none)


class FeedbackCreated(BaseModel):
    id: int = Field(description="Omdömets id.")
    stored_at: str = Field(description="När omdömet sparades (ISO 8601, UTC).")
