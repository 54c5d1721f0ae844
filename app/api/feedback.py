"""Feedback routes: store a reader's rating of an answer; export all ratings."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.api.access_control import identity_of
from app.api.deps import Feedback, require_json
from app.api.errors import GUARDED, ApiError, error_docs
from app.feedback.export import to_csv, to_jsonl
from app.feedback.schemas import FeedbackCreated, FeedbackRequest
from app.feedback.store import FeedbackEntry, FeedbackStoreError

router = APIRouter(tags=["feedback"])

ERRORS = error_docs(400, 413, 415, 422, 503, *GUARDED, s503="Omdömen kan inte sparas just nu.")


def _unavailable(exc: FeedbackStoreError) -> ApiError:
    return ApiError(
        503,
        "feedback_unavailable",
        f"Feedback storage is unavailable ({exc}); nothing was changed, try again later.",
        headers={"Retry-After": "30"},
    )


def to_entry(body: FeedbackRequest, user: str | None = None) -> FeedbackEntry:
    citations = tuple(
        {"chunk_id": c} if isinstance(c, str) else c.model_dump(exclude_none=True)
        for c in body.citations
    )
    return FeedbackEntry(
        question=body.question,
        answer=body.answer,
        rating=body.rating,
        comment=body.comment,
        citations=citations,
        backend=body.backend,
        search_query=body.search_query,
        refused=body.refused,
        degraded=body.degraded,
        user=user,
    )


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackCreated,
    responses=ERRORS,
    dependencies=[Depends(require_json)],
    summary="Lämna omdöme om ett svar",
)
def post_feedback(body: FeedbackRequest, request: Request, store: Feedback) -> FeedbackCreated:
    """Stores a thumbs up/down, with an optional comment, durably in SQLite."""
    user = identity_of(request.scope).principal
    try:
        stored = store.add(to_entry(body, user))
    except FeedbackStoreError as exc:
        raise _unavailable(exc) from exc
    return FeedbackCreated(id=stored.id, stored_at=stored.stored_at)


@router.get(
    "/feedback/export",
    response_class=Response,
    responses={
        200: {
            "description": "Alla omdömen som JSON Lines eller CSV.",
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        **error_docs(
            422, 503, *GUARDED, s422="Okänt format.", s503="Omdömen kan inte läsas just nu."
        ),
    },
    summary="Exportera omdömen",
)
def export_feedback(
    store: Feedback,
    format: Annotated[
        Literal["jsonl", "csv"], Query(description="'jsonl' (JSON Lines) eller 'csv'.")
    ] = "jsonl",
) -> Response:
    """Returns all feedback, oldest first, as JSON Lines or CSV."""
    try:
        items = store.all()
    except FeedbackStoreError as exc:
        raise _unavailable(exc) from exc
    if format == "csv":
        content, media_type = to_csv(items), "text/csv; charset=utf-8"
    else:
        content, media_type = to_jsonl(items), "application/x-ndjson; charset=utf-8"
    disposition = f'attachment; filename="feedback.{format}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
