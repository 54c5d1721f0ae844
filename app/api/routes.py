"""The HTTP routes: thin adapters between schemas and the question-answering service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from app.api.errors import ApiError
from app.api.streaming import EventStreamResponse, event_stream
from app.models import Passage, Turn
from app.schemas import (
    AskRequest,
    AskResponse,
    ChunkResponse,
    Citation,
    DocumentOut,
    DocumentsResponse,
    ErrorResponse,
    HealthResponse,
    PassageOut,
    SearchRequest,
    SearchResponse,
    StoreSummary,
    TimingsOut,
)
from app.service import AskResult, QuestionAnswering


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

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Ogiltig JSON."},
    415: {"model": ErrorResponse, "description": "Fel Content-Type."},
    422: {"model": ErrorResponse, "description": "Ogiltiga fält."},
}

router = APIRouter()


def _passage_out(passage: Passage) -> dict[str, object]:
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
        results=[PassageOut(**_passage_out(p)) for p in passages],  # type: ignore[arg-type]
    )


def _citation(passage: Passage) -> dict[str, object]:
    return {**_passage_out(passage), "ref": passage.ref}


def _ask_response(result: AskResult) -> dict[str, object]:
    generation = result.generation
    timings = result.timings
    return AskResponse(
        answer=generation.text,
        citations=[Citation(**_citation(p)) for p in result.passages],  # type: ignore[arg-type]
        refused=generation.refused,
        backend=result.backend,
        degraded=generation.degraded,
        timings_ms=TimingsOut(
            rewrite=timings.rewrite_ms,
            retrieval=timings.retrieval_ms,
            generation=timings.generation_ms,
            total=timings.total_ms,
            first_token=timings.first_token_ms,
        ),
        search_query=result.search_query,
        unsupported_sentences=list(generation.unsupported_sentences),
    ).model_dump()


def wants_stream(body: AskRequest, request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return body.stream or "text/event-stream" in accept.lower()


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={
        **ERRORS,
        200: {
            "description": "Svaret som JSON, eller som server-sent events när `stream` är sant "
            "eller Accept är text/event-stream: `citations`, `delta`…, `done` (hela svaret).",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
    dependencies=[Depends(require_json)],
    summary="Ställ en fråga",
)
async def ask(body: AskRequest, request: Request, qa: QA) -> Any:
    """Answers in the question's language; every claim cites its passage as [n]."""
    history = [Turn(turn.role, turn.content) for turn in body.history]
    qa.backends.get(body.backend)  # an unknown backend is a 422 before any stream starts
    if wants_stream(body, request):
        events = qa.ask_events(body.question, body.k, history, body.backend)
        return EventStreamResponse(event_stream(events, _citation, _ask_response))
    result = await qa.ask(body.question, body.k, history, body.backend)
    return _ask_response(result)


@router.get("/health", response_model=HealthResponse, summary="Tjänstens status")
def health(qa: QA) -> HealthResponse:
    """Reports the loaded store and the configured backends."""
    manifest = qa.store.manifest
    return HealthResponse(
        status="ok",
        store=StoreSummary(
            engine=manifest["embedder"]["engine"],
            model=manifest["embedder"]["model"],
            chunk_count=manifest["chunk_count"],
            built_at=manifest["built_at"],
            build_seconds=manifest["build_seconds"],
        ),
        backends=qa.backends.names,
        default_backend=qa.backends.default,
    )


@router.get("/documents", response_model=DocumentsResponse, summary="Dokumenten i korpusen")
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
    responses={404: {"model": ErrorResponse, "description": "Okänt id."}},
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
