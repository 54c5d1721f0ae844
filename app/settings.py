"""All settings, read once from `RAG_*` environment variables (or a `.env` file)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from app.access.keys import parse_key_list
from app.access.networks import parse_networks
from indexer.settings import IndexerSettings, SettingsError, read_settings

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "prompts"

__all__ = ["PROMPTS_DIR", "Settings", "SettingsError", "get_settings", "load_settings"]


class Settings(IndexerSettings):
    """The indexer's settings (corpus, store, embedder, chunker) and the service's own."""

    # Feedback and other data the service writes
    data_dir: Path = Path("data")
    # Connections each replica keeps to PostgreSQL (RAG_STORE=postgres): store and feedback.
    database_pool_size: int = Field(default=8, ge=1, le=256)

    # Service
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    graceful_shutdown_s: int = Field(default=30, ge=1, le=3600)
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Access (see README, "Running in production")
    api_keys: str | None = Field(default=None, description="Comma-separated name:sha256hex")
    api_keys_file: Path | None = Field(default=None, description="Lines of name:sha256hex")
    trusted_user_header: str | None = Field(default=None, description="e.g. X-Forwarded-User")
    trusted_proxies: str = Field(default="", description="Comma-separated IPs or CIDRs")
    cors_origins: str = Field(default="", description="Comma-separated origins")
    # The chat page's address as readers reach it, for the passage links that answers carry
    # into other tools (e.g. https://cyberstrategi.intra.example); None: the request's own.
    public_url: str | None = Field(default=None, description="e.g. https://qa.example.se")
    # POST /v1/chat/completions appends a Markdown "Källor" block unless turned off here or
    # per request (`sources_block: false`).
    chat_sources_block: bool = True

    # Limits
    max_body_bytes: int = Field(default=65_536, ge=1024, le=16 * 1024 * 1024)
    # The whole body must arrive within this many seconds of the first read, or 408: a
    # client that trickles its body cannot hold a request open (uvicorn has no such bound).
    body_timeout_s: float = Field(default=10.0, gt=0, le=600)
    # Per API key, proxy user or address (see README, "Limits"): a sequential client runs the
    # 181 eval questions at 11-14 a second here, under 1,200 a minute, and 300 covers a burst
    # of the whole set (and the held-out one) on a faster machine. 0 turns the limit off.
    rate_limit_per_minute: float = Field(default=1200.0, ge=0)
    rate_limit_burst: int = Field(default=300, ge=1, le=100_000)
    max_concurrent_generations: int = Field(default=4, ge=1, le=256)
    generation_queue: int = Field(default=8, ge=0, le=10_000)
    request_deadline_s: float = Field(default=120.0, gt=0, le=3600)
    feedback_busy_timeout_s: float = Field(default=5.0, ge=0, le=120)
    feedback_max_mb: float = Field(default=512.0, gt=0)

    # Retrieval
    dense_candidates: int = Field(default=30, ge=1, le=500)
    lexical_candidates: int = Field(default=30, ge=1, le=500)
    rrf_k: float = Field(default=10.0, gt=0)
    dense_weight: float = Field(default=1.0, ge=0)
    lexical_weight: float = Field(default=1.0, ge=0)
    english_lexical_weight: float = Field(default=0.3, ge=0)
    compound_splitting: bool = True
    reranker_model: str | None = None
    rerank_candidates: int = Field(default=20, ge=1, le=100)
    # Query vectors (app/retrieval/query_embeddings.py): an LRU of this many for repeated
    # questions (0: off); concurrent questions share one embedding call, up to this many (1: off).
    query_cache_size: int = Field(default=1024, ge=0, le=1_000_000)
    query_batch_size: int = Field(default=8, ge=1, le=256)

    # Answers
    default_backend: str = "extractive"
    answer_max_sentences: int = Field(default=4, ge=1, le=10)
    answer_passages: int = Field(default=3, ge=1, le=20)
    # Calibrated on eval/questions.jsonl (see README, "Refusal").
    refusal_min_coverage: float = Field(default=0.125, ge=0, le=1)
    refusal_min_similarity: float = Field(default=0.80, ge=0, le=1)

    # The OpenAI-compatible backend ("openai"): configured when llm_base_url is set.
    llm_base_url: str | None = Field(
        default=None, description="e.g. http://127.0.0.1:8081/v1 (llama.cpp), .../v1 (vLLM)"
    )
    llm_model: str = "qwen2.5-coder-1.5b-instruct"
    llm_api_key: SecretStr | None = None
    llm_api_version: str | None = Field(default=None, description="Azure OpenAI api-version")
    llm_connect_timeout_s: float = Field(default=3.0, gt=0, le=60)
    llm_read_timeout_s: float = Field(default=30.0, gt=0, le=600)
    llm_deadline_s: float = Field(default=60.0, gt=0, le=900)
    llm_rewrite_deadline_s: float = Field(default=15.0, gt=0, le=300)
    llm_max_attempts: int = Field(default=3, ge=1, le=10)
    llm_backoff_base_s: float = Field(default=0.25, ge=0, le=10)
    llm_backoff_max_s: float = Field(default=4.0, ge=0, le=60)
    llm_max_tokens: int = Field(default=400, ge=16, le=4096)
    llm_temperature: float = Field(default=0.1, ge=0, le=2)
    llm_passages: int = Field(default=5, ge=1, le=20)
    # "units": the prompt shows the answer units the extractive composer chose (and the next
    # best) up to llm_evidence_chars; "passages": the llm_passages whole passages.
    llm_prompt: Literal["units", "passages"] = "units"
    llm_evidence_chars: int = Field(default=900, ge=200, le=20000)
    # A question the evidence gate lets through by less than this (similarity) is put to the
    # model as a yes/no question on its best unit first; 0 turns the check off.
    llm_doubt_band: float = Field(default=0.02, ge=0, le=0.5)
    prompts_dir: Path = PROMPTS_DIR
    # A string only the system prompt holds; an answer containing it is discarded.
    # Empty: a random one per process.
    llm_prompt_canary: str = ""

    @field_validator("api_keys")
    @classmethod
    def _keys_well_formed(cls, value: str | None) -> str | None:
        if value is not None:
            parse_key_list(value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_well_formed(cls, value: str) -> str:
        parse_networks(value)
        return value

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_url_absolute(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not re.fullmatch(
            r"https?://[^\s/?#]+(/[^\s?#]*)?", value.strip()
        ):
            raise ValueError(
                f"'{value}' is not an absolute http(s) URL such as https://qa.example.se"
            )
        return value.strip().rstrip("/") if isinstance(value, str) else value

    @field_validator("trusted_user_header", "api_keys_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    @model_validator(mode="after")
    def _service_settings_consistent(self) -> Settings:
        if self.default_backend == "openai" and not self.llm_base_url:
            raise ValueError("RAG_DEFAULT_BACKEND=openai needs RAG_LLM_BASE_URL")
        if self.llm_base_url and not self.llm_base_url.startswith(("http://", "https://")):
            raise ValueError("RAG_LLM_BASE_URL must start with http:// or https://")
        if self.trusted_user_header and not self.trusted_proxies.strip():
            raise ValueError("RAG_TRUSTED_USER_HEADER needs RAG_TRUSTED_PROXIES (the proxy's IPs)")
        return self


def load_settings() -> Settings:
    return read_settings(Settings)


@lru_cache
def get_settings() -> Settings:
    return load_settings()
