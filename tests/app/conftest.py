"""The real local LLM (llama.cpp + Qwen), started once for every llm-marked test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
