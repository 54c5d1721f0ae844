"""Loads the heavy parts once (embedder, store, indexes, backends) from settings."""

from __future__ import annotations

import secrets

import httpx

from app.answer.evidence import RefusalThresholds
from app.answer.extractive import ComposerSettings
from app.backends.base import BackendRegistry, LLMBackend
from app.backends.extractive import ExtractiveBackend
from app.backends.openai import OpenAIBackend, OpenAIOptions
from app.backends.prompts import PromptTemplates
from app.backends.retry import RetryPolicy
from app.retrieval.pipeline import RetrievalSettings, Retriever
from app.retrieval.rerank import CrossEncoderReranker, Reranker
from app.service import QuestionAnswering
from app.settings import Settings
from indexer.embedders import Embedder, create_embedder
from indexer.store import load_store


def retrieval_settings(settings: Settings) -> RetrievalSettings:
    return RetrievalSettings(
        dense_candidates=settings.dense_candidates,
        lexical_candidates=settings.lexical_candidates,
        rrf_k=settings.rrf_k,
        dense_weight=settings.dense_weight,
        lexical_weight=settings.lexical_weight,
        english_lexical_weight=settings.english_lexical_weight,
        rerank_candidates=settings.rerank_candidates,
    )


def llm_client(settings: Settings) -> httpx.AsyncClient:
    headers = {}
    if settings.llm_api_key is not None:
        key = settings.llm_api_key.get_secret_value()
        # Azure OpenAI takes its key in `api-key`; everyone else in a bearer token.
        headers = (
            {"api-key": key} if settings.llm_api_version else {"Authorization": f"Bearer {key}"}
        )
    base_url = (settings.llm_base_url or "").rstrip("/") + "/"
    timeout = httpx.Timeout(
        connect=settings.llm_connect_timeout_s,
        read=settings.llm_read_timeout_s,
        write=settings.llm_read_timeout_s,
        pool=settings.llm_connect_timeout_s,
    )
    return httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout)


def openai_backend(settings: Settings, client: httpx.AsyncClient | None = None) -> OpenAIBackend:
    options = OpenAIOptions(
        model=settings.llm_model,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        max_passages=settings.llm_passages,
        deadline_s=settings.llm_deadline_s,
        rewrite_deadline_s=settings.llm_rewrite_deadline_s,
        api_version=settings.llm_api_version,
        canary=settings.llm_prompt_canary or f"KANARIE-{secrets.token_hex(6)}",
        retry=RetryPolicy(
            max_attempts=settings.llm_max_attempts,
            base_delay_s=settings.llm_backoff_base_s,
            max_delay_s=settings.llm_backoff_max_s,
        ),
    )
    templates = PromptTemplates.load(settings.prompts_dir)
    return OpenAIBackend(client or llm_client(settings), options, templates)


def extractive_backend(settings: Settings, retriever: Retriever) -> ExtractiveBackend:
    return ExtractiveBackend(
        terms_of=retriever.analyzer.terms,
        idf=retriever.bm25.idf,
        thresholds=RefusalThresholds(
            min_coverage=settings.refusal_min_coverage,
            min_similarity=settings.refusal_min_similarity,
        ),
        settings=ComposerSettings(
            max_sentences=settings.answer_max_sentences, passages=settings.answer_passages
        ),
    )


def build_backends(settings: Settings, extractive: ExtractiveBackend) -> BackendRegistry:
    backends: dict[str, LLMBackend] = {extractive.name: extractive}
    if settings.llm_base_url:
        backend = openai_backend(settings)
        backends[backend.name] = backend
    return BackendRegistry(backends, settings.default_backend)


def backend_names(settings: Settings) -> list[str]:
    """The names build_backends configures (for the API schema, before anything loads)."""
    return sorted(
        [ExtractiveBackend.name, *([OpenAIBackend.name] if settings.llm_base_url else [])]
    )


def build_question_answering(
    settings: Settings, embedder: Embedder | None = None
) -> QuestionAnswering:
    """Every failure here is a one-line error (StoreError, EmbedderError, …) for start-up."""
    embedder = embedder or create_embedder(settings.embedder, settings.embedding_model)
    store = load_store(settings.store_dir, expected_embedder=embedder.info.as_dict())
    reranker: Reranker | None = (
        CrossEncoderReranker(settings.reranker_model) if settings.reranker_model else None
    )
    retriever = Retriever(
        store,
        embedder,
        retrieval_settings(settings),
        compound_splitting=settings.compound_splitting,
        reranker=reranker,
    )
    extractive = extractive_backend(settings, retriever)
    return QuestionAnswering(store, retriever, build_backends(settings, extractive), extractive)
