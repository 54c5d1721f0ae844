"""Loads the heavy parts once (embedder, store, indexes, backends) from settings and wires
each backend name to its roles: rewriter, evidence gate, checker and fallback."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import httpx

from app.answer.checking import AnswerChecker, SupportCheck
from app.answer.composer import ComposerSettings, Lexicon
from app.answer.evidence import RefusalThresholds
from app.answer.followup import HeuristicRewriter
from app.answer.term_memo import memoized_terms
from app.backends.base import Registry
from app.backends.extractive import ExtractiveBackend
from app.backends.openai import OpenAIBackend, OpenAIOptions
from app.backends.places import Gazetteer
from app.backends.prompts import PromptTemplates
from app.backends.retry import RetryPolicy
from app.feedback.store import FEEDBACK_FILE, FeedbackRecords, FeedbackStore
from app.retrieval.embedded import EmbeddedStore
from app.retrieval.pipeline import RetrievalSettings, Retriever
from app.retrieval.query_embeddings import query_embedder
from app.retrieval.rerank import CrossEncoderReranker, Reranker
from app.retrieval.store import PassageStore
from app.service import AnswerRoute, QuestionAnswering
from app.settings import Settings
from indexer.database import redacted
from indexer.embedders import Embedder, create_embedder
from indexer.store import load_store
from indexer.swedish import Analyzer


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


def openai_options(settings: Settings) -> OpenAIOptions:
    return OpenAIOptions(
        model=settings.llm_model,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
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


def extractive_backend(
    settings: Settings, analyzer: Analyzer, store: PassageStore
) -> ExtractiveBackend:
    places = Gazetteer()
    places.preload()
    return ExtractiveBackend(
        lexicon=Lexicon(
            terms_of=memoized_terms(analyzer.terms),
            idf=store.idf,
            places=places,
            documents={d["id"]: tuple(d.get("names", ())) for d in store.manifest["documents"]},
        ),
        thresholds=RefusalThresholds(
            min_coverage=settings.refusal_min_coverage,
            min_similarity=settings.refusal_min_similarity,
        ),
        settings=ComposerSettings(
            max_sentences=settings.answer_max_sentences, passages=settings.answer_passages
        ),
        evidence_chars=settings.llm_evidence_chars,
    )


def openai_route(
    settings: Settings,
    extractive: ExtractiveBackend,
    support: SupportCheck,
    client: httpx.AsyncClient | None = None,
) -> AnswerRoute:
    """The OpenAI-compatible backend, gated and backed up by the extractive one; its canary
    goes into the prompt and to the checker that looks for it."""
    options = openai_options(settings)
    templates = PromptTemplates.load(settings.prompts_dir)
    backend = OpenAIBackend(client or llm_client(settings), options, templates)
    return AnswerRoute(
        backend=backend,
        rewriter=backend,
        checker=AnswerChecker(canary=options.canary, support=support),
        gate=extractive,
        fallback=extractive,
        prompt_passages=settings.llm_passages,
        selector=extractive if settings.llm_prompt == "units" else None,
        answerability=backend,
        doubt_band=settings.llm_doubt_band,
    )


def backend_names(settings: Settings) -> list[str]:
    """The names the wiring configures (for the API schema, before anything loads)."""
    return sorted(
        [ExtractiveBackend.name, *([OpenAIBackend.name] if settings.llm_base_url else [])]
    )


def load_passage_store(settings: Settings, embedder: Embedder) -> tuple[PassageStore, Analyzer]:
    """The configured store, and the analyzer whose compounds split into its words."""
    expected = embedder.info.as_dict()
    if settings.store == "postgres":
        from app.retrieval.postgres import PostgresStore, open_pool

        pool = open_pool(settings.database, settings.database_pool_size)
        try:
            pg_store = PostgresStore(pool, settings.database, expected)
        except BaseException:
            pool.close()
            raise
        splitter = pg_store.splitter if settings.compound_splitting else None
        return pg_store, Analyzer(splitter)
    loaded = load_store(settings.store_dir, expected_embedder=expected)
    analyzer = Analyzer.for_corpus(
        [chunk.passage_text for chunk in loaded.chunks],
        compound_splitting=settings.compound_splitting,
    )
    return EmbeddedStore(loaded, analyzer), analyzer


def feedback_records(settings: Settings) -> FeedbackRecords:
    """Ratings beside the store: PostgreSQL when the store is there (replicas share them),
    else SQLite in the data directory."""
    if settings.store == "postgres":
        from app.feedback.postgres import PostgresFeedbackStore
        from app.retrieval.postgres import open_pool

        pool = open_pool(settings.database, max(2, settings.database_pool_size // 4))
        return PostgresFeedbackStore(pool, redacted(settings.database))
    return FeedbackStore(
        settings.data_dir / FEEDBACK_FILE,
        busy_timeout_s=settings.feedback_busy_timeout_s,
        max_bytes=int(settings.feedback_max_mb * 1024 * 1024),
    )


def build_question_answering(
    settings: Settings,
    embedder: Embedder | None = None,
    on_backend_error: Callable[[str, str], None] | None = None,
) -> QuestionAnswering:
    """Every failure here is a one-line error (StoreError, EmbedderError, …) for start-up."""
    embedder = embedder or create_embedder(
        settings.embedder, settings.embedding_model, settings.embedding_kernel
    )
    store, analyzer = load_passage_store(settings, embedder)
    reranker: Reranker | None = (
        CrossEncoderReranker(settings.reranker_model) if settings.reranker_model else None
    )
    queries = query_embedder(embedder, settings.query_cache_size, settings.query_batch_size)
    retriever = Retriever(store, queries, analyzer, retrieval_settings(settings), reranker)
    extractive = extractive_backend(settings, analyzer, store)
    heuristic = HeuristicRewriter()
    routes = {
        extractive.name: AnswerRoute(
            backend=extractive, rewriter=heuristic, checker=AnswerChecker()
        )
    }
    if settings.llm_base_url:
        support = SupportCheck(analyzer.terms, embedder.embed_passages)
        route = openai_route(settings, extractive, support)
        routes[route.name] = route
    return QuestionAnswering(
        retriever, Registry(routes, settings.default_backend), heuristic, on_backend_error
    )
