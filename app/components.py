"""Loads the heavy parts once (embedder, store, indexes, backends) from settings."""

from __future__ import annotations

from app.answer.evidence import RefusalThresholds
from app.answer.extractive import ComposerSettings
from app.backends.base import BackendRegistry, LLMBackend
from app.backends.extractive import ExtractiveBackend
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


def build_backends(settings: Settings, retriever: Retriever) -> BackendRegistry:
    extractive = ExtractiveBackend(
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
    backends: dict[str, LLMBackend] = {extractive.name: extractive}
    return BackendRegistry(backends, settings.default_backend)


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
    return QuestionAnswering(store, retriever, build_backends(settings, retriever))
