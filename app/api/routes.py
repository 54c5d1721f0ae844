"""The HTTP routes: thin adapters between schemas and the question-answering service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from app.api.errors import GUARDED, ApiError, error_docs
from app.models import Passage
from app.schemas import (
    ChunkResponse,
    DocumentOut,
    DocumentsResponse,
    HealthResponse,
    PassageOut,
    SearchRequest,
    SearchResponse,
    StoreSummary,
)
from app.service import QuestionAnswering


def require_json(request: Request) -> None:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Content-Type must be application/json (got '{content_type or 'none'}'); "
            "send the body as JSON.",
        )


def get_qa(request: Request) -> QuestionAnswering:
    qa: QuestionAnswering = request.app.state.qa
    return qa


QA = Annotated[QuestionAnswering, Depends(get_qa)]

ERRORS: dict[int | str, dict[str, Any]] = error_docs(400, 413, 415, 422, *GUARDED)

router = APIRouter()


def passage_out(passage: Passage) -> dict[str, object]:
    chunk = passage.chunk
    return {
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "section": chunk.section,
        "page": chunk.page_start,
        "text": chunk.text,
        "score": round(passage.score, 6),
    }


@router.post(
    "/search",
    response_model=SearchResponse,
    responses=ERRORS,
    dependencies=[Depends(require_json)],
    summary="Sök passager",
)
def search(body: SearchRequest, qa: QA) -> SearchResponse:
    """Returns the passages that best match the query (dense + lexical, fused)."""
    passages = qa.search(body.query, body.k)
    return SearchResponse(
        query=body.query,
        results=[PassageOut(**passage_out(p)) for p in passages],  # type: ignore[arg-type]
    )


def store_summary(manifest: dict[str, Any]) -> StoreSummary:
    return StoreSummary(
        engine=manifest["embedder"]["engine"],
        model=manifest["embedder"]["model"],
        chunk_count=manifest["chunk_count"],
        built_at=manifest["built_at"],
        build_seconds=manifest["build_seconds"],
    )


@router.get("/health", response_model=HealthResponse, summary="Tjänstens status")
def health(qa: QA) -> HealthResponse:
    """Reports the loaded store and the configured backends."""
    return HealthResponse(
        status="ok",
        store=store_summary(qa.store.manifest),
        backends=qa.backends.names,
        default_backend=qa.backends.default,
    )


@router.get(
    "/documents",
    response_model=DocumentsResponse,
    responses=error_docs(*GUARDED),
    summary="Dokumenten i korpusen",
)
def documents(qa: QA) -> DocumentsResponse:
    """Lists the corpus manifest with the number of passages per document."""
    return DocumentsResponse(
        documents=[
            DocumentOut(
                id=doc["id"],
                title=doc["title"],
                kind=doc["kind"],
                language=doc["language"],
                date=doc.get("date"),
                file=doc["file"],
                chunk_count=doc["chunk_count"],
            )
            for doc in qa.store.manifest["documents"]
        ]
    )


@router.get(
    "/chunks/{chunk_id}",
    response_model=ChunkResponse,
    responses=error_docs(404, *GUARDED, s404="Okänt id."),
    summary="En passage med grannar",
)
def chunk(chunk_id: str, qa: QA) -> ChunkResponse:
    """Returns one passage and the ids of its neighbours in the same document."""
    position = qa.chunk_positions.get(chunk_id)
    if position is None:
        raise ApiError(
            404,
            "unknown_chunk",
            f"No passage with id '{chunk_id}'; ids look like 'strategi:0042' "
            "(see POST /search or GET /documents).",
        )
    chunks = qa.store.chunks
    found = chunks[position]
    previous = chunks[position - 1] if position > 0 else None
    following = chunks[position + 1] if position + 1 < len(chunks) else None
    return ChunkResponse(
        chunk_id=found.chunk_id,
        doc_id=found.doc_id,
        title=found.title,
        section=found.section,
        page=found.page_start,
        page_end=found.page_end,
        text=found.text,
        sentences=[(s.start, s.end) for s in found.sentences],
        previous_chunk_id=previous.chunk_id
        if previous and previous.doc_id == found.doc_id
        else None,
        next_chunk_id=following.chunk_id
        if following and following.doc_id == found.doc_id
        else None,
    )
