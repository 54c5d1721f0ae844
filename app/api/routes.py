"""The HTTP routes: thin adapters between schemas and the question-answering service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from app.api.deps import QA, require_json
from app.api.errors import GUARDED, ApiError, error_docs
from app.backends.base import UnknownBackendError
from app.domain import Turn
from app.schema_types import NOT_BLANK, policed
from app.schemas import (
    CHUNK_ID_RULE,
    MAX_CHUNK_ID_CHARS,
    ChunkResponse,
    DocumentOut,
    DocumentResponse,
    DocumentsResponse,
    HealthResponse,
    PassageOut,
    SearchRequest,
    SearchResponse,
    StoreSummary,
)
from app.service import QuestionAnswering

ERRORS: dict[int | str, dict[str, Any]] = error_docs(400, 413, 415, 422, *GUARDED)

router = APIRouter()

# Path ids go through the input policy too: "strategi:0042\u200b" is "strategi:0042".
ChunkIdParam = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_CHUNK_ID_CHARS,
        description="Passagens id, t.ex. 'strategi:0042'.",
        json_schema_extra=NOT_BLANK,
    ),
    policed(CHUNK_ID_RULE),
]
DocIdParam = Annotated[
    str,
    Path(
        min_length=1,
        max_length=MAX_CHUNK_ID_CHARS,
        description="Dokumentets id, t.ex. 'strategi'.",
        json_schema_extra=NOT_BLANK,
    ),
    policed(CHUNK_ID_RULE),
]


def check_backend(qa: QuestionAnswering, name: str | None) -> None:
    """A 422 for a name that is not configured (also for "", which reads as the default)."""
    if name is not None and name not in qa.backend_names:
        raise UnknownBackendError(name, qa.backend_names)


@router.post(
    "/search",
    response_model=SearchResponse,
    responses=ERRORS,
    dependencies=[Depends(require_json)],
    summary="Sök passager",
)
async def search(body: SearchRequest, qa: QA) -> SearchResponse:
    """Returns the passages that best match the query (dense + lexical, fused)."""
    check_backend(qa, body.backend)
    history = [Turn(turn.role, turn.content) for turn in body.history]
    found = await qa.search(body.query, body.k, history=history, backend_name=body.backend)
    return SearchResponse(
        query=body.query,
        search_query=found.search_query,
        results=[PassageOut.from_passage(p) for p in found.passages],
    )


@router.get("/health", response_model=HealthResponse, summary="Tjänstens status")
async def health(qa: QA) -> HealthResponse:
    """Reports the loaded store and the configured backends (from memory: no store query,
    so it runs on the event loop; a load balancer asks it often)."""
    return HealthResponse(
        status="ok",
        store=StoreSummary.from_manifest(qa.manifest),
        backends=qa.backend_names,
        default_backend=qa.default_backend,
        embedding_kernel=qa.embedding_kernel,
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
        documents=[DocumentOut.from_manifest_entry(doc) for doc in qa.manifest["documents"]]
    )


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentResponse,
    responses=error_docs(404, *GUARDED, s404="Okänt dokument-id."),
    summary="Ett helt dokument för läsning",
)
def document(doc_id: DocIdParam, qa: QA) -> DocumentResponse:
    """Returns one document: every passage in order and its table of contents."""
    entries = qa.manifest["documents"]
    doc = next((d for d in entries if d["id"] == doc_id), None)
    if doc is None:
        ids = ", ".join(d["id"] for d in entries)
        raise ApiError(
            404,
            "unknown_document",
            f"No document with id '{doc_id}'; ids: {ids} (see GET /documents).",
        )
    chunks = [chunk for chunk in qa.chunks() if chunk.doc_id == doc_id]
    return DocumentResponse.from_chunks(doc, chunks)


@router.get(
    "/chunks/{chunk_id}",
    response_model=ChunkResponse,
    responses=error_docs(404, *GUARDED, s404="Okänt id."),
    summary="En passage med grannar",
)
def chunk(chunk_id: ChunkIdParam, qa: QA) -> ChunkResponse:
    """Returns one passage and the ids of its neighbours in the same document."""
    context = qa.chunk_context(chunk_id)
    if context is None:
        raise ApiError(
            404,
            "unknown_chunk",
            f"No passage with id '{chunk_id}'; ids look like 'strategi:0042' "
            "(see POST /search or GET /documents).",
        )
    return ChunkResponse.from_context(context)
