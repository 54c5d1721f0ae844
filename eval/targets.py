"""What the evaluation runs against: the service in-process, or a running one over HTTP.

Both speak the same small interface, so that every figure is computed by the same code.
Retrieval over HTTP is the service's own `/search` (hybrid, or hybrid + rerank when the
service is configured with a reranker); other configurations need the in-process target.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from typing import Any, Protocol, cast

import httpx

from app.answer.citations import split_answer_sentences
from app.domain import Turn
from app.results import AskResult, DoneEvent
from app.retrieval.pipeline import Mode
from app.service import QuestionAnswering
from eval.gold import Hit
from eval.scoring import AskOutcome

HTTP_MAX_K = 20
# A service with a rate limit or a full generation queue says when to come back.
RETRY_STATUS = frozenset({429, 503})
MAX_ATTEMPTS = 6
MAX_WAIT_S = 30.0


class Target(Protocol):
    modes: tuple[str, ...]
    backends: list[str]
    unavailable: dict[str, str]  # configuration → why it is not evaluated

    async def search(
        self, query: str, k: int, mode: str, history: Sequence[Turn] = ()
    ) -> list[Hit]: ...

    async def ask(
        self, question: str, k: int, history: Sequence[Turn], backend: str
    ) -> AskOutcome: ...

    async def corpus(self) -> list[Hit]: ...

    async def info(self) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


def _sentence_count(answer: str, refused: bool) -> int:
    return 0 if refused else len(split_answer_sentences(answer))


class InProcessTarget:
    """The service's QuestionAnswering, built from settings in this process; only its public
    methods are used, so the figures are those the HTTP routes would give."""

    def __init__(self, qa: QuestionAnswering, description: str = "in-process") -> None:
        self.qa = qa
        self.description = description
        self.modes: tuple[str, ...] = tuple(qa.modes)
        self.unavailable: dict[str, str] = {}
        if "rerank" not in self.modes:
            self.unavailable["rerank"] = "no reranker configured (RAG_RERANKER_MODEL)"
        self.backends = list(qa.backend_names)

    async def search(
        self, query: str, k: int, mode: str, history: Sequence[Turn] = ()
    ) -> list[Hit]:
        found = await self.qa.search(query, k, cast(Mode, mode), history)
        return [Hit(p.chunk.chunk_id, p.chunk.doc_id, p.chunk.text) for p in found.passages]

    async def ask(self, question: str, k: int, history: Sequence[Turn], backend: str) -> AskOutcome:
        started = time.perf_counter()
        result = await self.qa.ask(question, k, list(history), backend)
        return outcome_of(result, (time.perf_counter() - started) * 1000)

    async def ask_streamed(
        self, question: str, k: int, history: Sequence[Turn], backend: str
    ) -> tuple[AskOutcome, float | None]:
        """The streamed answer (what the chat UI shows) and its time to the first delta."""
        started = time.perf_counter()
        result: AskResult | None = None
        async for event in self.qa.answer_events(question, k, list(history), backend):
            if isinstance(event, DoneEvent):
                result = event.result
        if result is None:
            raise RuntimeError("the answer stream ended without its result")
        outcome = outcome_of(result, (time.perf_counter() - started) * 1000)
        return outcome, result.timings.first_token_ms

    async def corpus(self) -> list[Hit]:
        return [Hit(c.chunk_id, c.doc_id, c.text) for c in self.qa.chunks()]

    async def info(self) -> dict[str, Any]:
        manifest = self.qa.manifest
        return {
            "target": self.description,
            "chunk_count": manifest["chunk_count"],
            "build_seconds": manifest["build_seconds"],
            "embedder": manifest["embedder"],
            "backends": self.backends,
            "default_backend": self.qa.default_backend,
        }

    async def aclose(self) -> None:
        await self.qa.aclose()


def outcome_of(result: AskResult, wall_ms: float) -> AskOutcome:
    generation = result.generation
    by_ref = {p.ref: p.chunk for p in result.passages}
    cited = tuple(
        Hit(by_ref[r].chunk_id, by_ref[r].doc_id, by_ref[r].text)
        for r in generation.cited_refs
        if r in by_ref
    )
    t = result.timings
    return AskOutcome(
        answer=generation.text,
        refused=generation.refused,
        cited=cited,
        sentences=_sentence_count(generation.text, generation.refused),
        unsupported=len(generation.unsupported_sentences),
        degraded=generation.degraded,
        timings_ms={
            "rewrite": t.rewrite_ms,
            "retrieval": t.retrieval_ms,
            "generation": t.generation_ms,
            "total": t.total_ms,
            "wall": wall_ms,
        },
    )


class HttpTarget:
    """A running service; `/search` gives the service's configured retrieval."""

    def __init__(self, client: httpx.AsyncClient, health: dict[str, Any]) -> None:
        self.client = client
        self.health = health
        self.modes: tuple[str, ...] = ("hybrid",)
        self.unavailable: dict[str, str] = {
            "bm25": "not exposed over HTTP (use the in-process eval)",
            "dense": "not exposed over HTTP (use the in-process eval)",
            "rerank": "not selectable over HTTP; /search uses the service's configuration",
        }
        self.backends = list(health.get("backends", []))

    @classmethod
    async def connect(
        cls, url: str, api_key: str | None = None, timeout_s: float = 120.0
    ) -> HttpTarget:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        client = httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout_s, headers=headers)
        try:
            response = await client.get("/health")
            response.raise_for_status()
        except (httpx.HTTPError, ValueError):
            await client.aclose()
            raise
        return cls(client, response.json())

    async def _request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Waits out 429/503 as Retry-After says (a few times), then raises on any error."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            response = await self.client.request(method, path, json=body)
            if response.status_code not in RETRY_STATUS or attempt == MAX_ATTEMPTS:
                break
            wait = response.headers.get("retry-after", "1")
            await asyncio.sleep(min(float(wait) if wait.isdigit() else 1.0, MAX_WAIT_S))
        if response.status_code != 404:
            response.raise_for_status()
        return response

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = (await self._request("POST", path, body)).json()
        return data

    async def search(
        self, query: str, k: int, mode: str, history: Sequence[Turn] = ()
    ) -> list[Hit]:
        body = {
            "query": query,
            "k": min(k, HTTP_MAX_K),
            "history": [{"role": t.role, "content": t.content} for t in history],
        }
        data = await self._post("/search", body)
        return [Hit(r["chunk_id"], r["doc_id"], r["text"]) for r in data["results"]]

    async def ask(self, question: str, k: int, history: Sequence[Turn], backend: str) -> AskOutcome:
        body = {
            "question": question,
            "k": min(k, HTTP_MAX_K),
            "history": [{"role": t.role, "content": t.content} for t in history],
            "backend": backend,
        }
        started = time.perf_counter()
        data = await self._post("/ask", body)
        wall = (time.perf_counter() - started) * 1000
        answer = str(data["answer"])
        refs = {int(n) for n in re.findall(r"\[(\d+)\]", answer)}
        cited = tuple(
            Hit(c["chunk_id"], c["doc_id"], c["text"])
            for c in data["citations"]
            if c["ref"] in refs
        )
        timings = {k: float(v) for k, v in data["timings_ms"].items() if v is not None}
        return AskOutcome(
            answer=answer,
            refused=bool(data["refused"]),
            cited=cited,
            sentences=_sentence_count(answer, bool(data["refused"])),
            unsupported=len(data.get("unsupported_sentences", [])),
            degraded=bool(data.get("degraded", False)),
            timings_ms={**timings, "wall": wall},
        )

    async def corpus(self) -> list[Hit]:
        """Walks every document's chunks through `/documents` and `/chunks/{id}`."""
        documents = (await self._request("GET", "/documents")).json()["documents"]
        hits: list[Hit] = []
        for doc in documents:
            chunk_id: str | None = f"{doc['id']}:0000"
            while chunk_id is not None:
                response = await self._request("GET", f"/chunks/{chunk_id}")
                if response.status_code == 404:
                    break
                data = response.json()
                hits.append(Hit(data["chunk_id"], data["doc_id"], data["text"]))
                chunk_id = data.get("next_chunk_id")
        return hits

    async def info(self) -> dict[str, Any]:
        store = self.health.get("store", {})
        return {
            "target": str(self.client.base_url),
            "chunk_count": store.get("chunk_count"),
            "build_seconds": store.get("build_seconds"),
            "embedder": {"engine": store.get("engine"), "model": store.get("model")},
            "backends": self.backends,
            "default_backend": self.health.get("default_backend"),
        }

    async def aclose(self) -> None:
        await self.client.aclose()
