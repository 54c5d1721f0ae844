"""The real local LLM (llama.cpp + Qwen), started once for every llm-marked test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.wiring import build_question_answering
from indexer.embedders import Embedder
from localmodel.fetch import MODEL_FILE, MODEL_SIZE
from localmodel.server import ServerError, llama_server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def llama_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Fails, never skips, when the model or the server is missing: CI must run these."""
    model = REPO / MODEL_FILE
    if not model.is_file() or model.stat().st_size != MODEL_SIZE:
        pytest.fail(f"{model} is missing or incomplete; run `make setup-llm`")
    log = tmp_path_factory.mktemp("llama") / "server.log"
    try:
        with llama_server(model, log=log) as url:
            yield url
    except ServerError as exc:
        pytest.fail(f"{exc}; log: {log.read_text()[-2000:] if log.exists() else 'none'}")


@pytest.fixture
def make_client(settings: Settings, embedder: Embedder) -> Iterator[Any]:
    """Makes apps whose `openai` backend is the LLM at `url`, with short timeouts and
    backoff (and any other settings given); closes them after the test."""
    clients: list[TestClient] = []

    def make(url: str, deadline_s: float = 5.0, **overrides: Any) -> TestClient:
        llm_settings = settings.model_copy(
            update={
                "llm_base_url": url,
                "llm_deadline_s": deadline_s,
                "llm_read_timeout_s": deadline_s,
                "llm_connect_timeout_s": 1.0,
                "llm_backoff_base_s": 0.05,
                "llm_backoff_max_s": 0.2,
                **overrides,
            }
        )
        qa = build_question_answering(llm_settings, embedder=embedder)
        client = TestClient(create_app(llm_settings, qa=qa))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
