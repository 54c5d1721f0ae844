"""The OpenAI-compatible backend against a real loopback server that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable
from typing import TypeVar

import httpx
import pytest

from app.backends.base import BackendUnavailable
from app.backends.openai import OpenAIBackend, OpenAIOptions
from app.backends.prompts import PromptTemplates
from app.backends.retry import RetryPolicy
from app.domain import GenerationRequest
from app.service import QuestionAnswering
from app.settings import PROMPTS_DIR
from indexer.language import detect_language
from tests.app.fake_llm import (
    answer,
    broken_stream,
    closed_port_url,
    fake_llm,
    grounded,
    malformed,
    slow,
    status,
)

pytestmark = pytest.mark.slow  # the passages come from the real store

T = TypeVar("T")
QUESTION = "Vad säger strategin om samarbetet inom Nato?"


def run(awaitable: Awaitable[T]) -> T:
    async def wrapper() -> T:
        return await awaitable

    return asyncio.run(wrapper())


@pytest.fixture(scope="module")
def request_(qa: QuestionAnswering) -> GenerationRequest:
    passages = run(qa.search(QUESTION, 3)).passages
    return GenerationRequest(
        question=QUESTION,
        language=detect_language(QUESTION),
        passages=passages,
        question_vector=passages[0].sentence_vectors[0],
    )


def backend(
    url: str,
    deadline_s: float = 5.0,
    attempts: int = 3,
    api_key: str | None = None,
    api_version: str | None = None,
) -> OpenAIBackend:
    headers = {}
    if api_key:
        headers = {"api-key": api_key} if api_version else {"Authorization": f"Bearer {api_key}"}
    client = httpx.AsyncClient(
        base_url=url.rstrip("/") + "/",
        headers=headers,
        timeout=httpx.Timeout(connect=1.0, read=deadline_s, write=1.0, pool=1.0),
    )
    options = OpenAIOptions(
        model="test-model",
        deadline_s=deadline_s,
        api_version=api_version,
        retry=RetryPolicy(max_attempts=attempts, base_delay_s=0.05, max_delay_s=0.2),
    )
    return OpenAIBackend(client, options, PromptTemplates.load(PROMPTS_DIR), rng=random.Random(7))


def collect(llm: OpenAIBackend, request: GenerationRequest) -> list[str]:
    async def gather() -> list[str]:
        return [delta async for delta in llm.stream(request)]

    return asyncio.run(gather())


def test_generate_sends_the_prompt_and_returns_a_cited_answer(
    request_: GenerationRequest,
) -> None:
    with fake_llm(grounded()) as fake:
        text = run(backend(fake.url, api_key="sekret").generate(request_))
    assert text.endswith("[1].")
    sent = fake.requests[0]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer sekret"
    assert sent.body["model"] == "test-model" and sent.body["stream"] is False
    system, user = sent.body["messages"]
    assert "Det framgår inte av dokumenten." in system["content"]
    assert user["content"].count("</passage>") == 3 and QUESTION in user["content"]


def test_azure_style_key_and_api_version(request_: GenerationRequest) -> None:
    with fake_llm(grounded()) as fake:
        run(backend(fake.url, api_key="k", api_version="2024-06-01").generate(request_))
    sent = fake.requests[0]
    assert sent.path == "/v1/chat/completions?api-version=2024-06-01"
    assert sent.headers["api-key"] == "k" and "authorization" not in sent.headers


def test_the_answer_is_returned_as_the_model_wrote_it(request_: GenerationRequest) -> None:
    """Markers are the checking stage's business (tests/app/test_checking.py), not the
    backend's: it returns the model's text unchanged."""
    with fake_llm(answer("Nato är viktigt för Sverige [1][9]. Mer [7].")) as fake:
        text = run(backend(fake.url).generate(request_))
    assert text == "Nato är viktigt för Sverige [1][9]. Mer [7]."


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_are_retried(request_: GenerationRequest, code: int) -> None:
    with fake_llm(status(code), grounded()) as fake:
        text = run(backend(fake.url).generate(request_))
    assert len(fake.requests) == 2 and text.endswith("[1].")


def test_429_retry_after_is_honoured(request_: GenerationRequest) -> None:
    with fake_llm(status(429, {"Retry-After": "1"}), grounded()) as fake:
        run(backend(fake.url).generate(request_))
    first, second = fake.requests
    assert second.at - first.at >= 0.95


def test_retry_after_beyond_the_deadline_gives_up_at_once(request_: GenerationRequest) -> None:
    with fake_llm(status(429, {"Retry-After": "30"}), grounded()) as fake:
        started = time.monotonic()
        with pytest.raises(BackendUnavailable, match="429"):
            run(backend(fake.url, deadline_s=2).generate(request_))
    assert time.monotonic() - started < 1.0 and len(fake.requests) == 1


def test_attempts_are_bounded_when_the_server_keeps_failing(request_: GenerationRequest) -> None:
    with fake_llm(status(503)) as fake:
        with pytest.raises(BackendUnavailable, match="gave up after 3 attempts"):
            run(backend(fake.url, attempts=3).generate(request_))
    assert len(fake.requests) == 3


def test_client_errors_are_not_retried(request_: GenerationRequest) -> None:
    with fake_llm(status(400)) as fake:
        with pytest.raises(BackendUnavailable, match="HTTP 400"):
            run(backend(fake.url).generate(request_))
    assert len(fake.requests) == 1


def test_connection_refused_is_retried_then_given_up(request_: GenerationRequest) -> None:
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="cannot connect"):
        run(backend(closed_port_url(), attempts=3).generate(request_))
    assert time.monotonic() - started < 2.0


def test_a_slow_server_is_cut_off_at_the_deadline(request_: GenerationRequest) -> None:
    with fake_llm(slow(4.0, grounded())) as fake:
        started = time.monotonic()
        with pytest.raises(BackendUnavailable):
            run(backend(fake.url, deadline_s=1.0).generate(request_))
    assert time.monotonic() - started < 2.5


def test_malformed_json_is_unavailable_not_retried(request_: GenerationRequest) -> None:
    with fake_llm(malformed()) as fake:
        with pytest.raises(BackendUnavailable, match="not JSON"):
            run(backend(fake.url).generate(request_))
    assert len(fake.requests) == 1


def test_stream_yields_the_deltas(request_: GenerationRequest) -> None:
    with fake_llm(answer("Sverige vill stärka samarbetet [1].")) as fake:
        deltas = collect(backend(fake.url), request_)
    assert "".join(deltas) == "Sverige vill stärka samarbetet [1]."
    assert len(deltas) > 1 and fake.requests[0].body["stream"] is True


def test_a_broken_stream_raises_after_its_partial_deltas(request_: GenerationRequest) -> None:
    seen: list[str] = []

    async def consume(llm: OpenAIBackend) -> None:
        async for delta in llm.stream(request_):
            seen.append(delta)

    with fake_llm(broken_stream(3)) as fake:
        with pytest.raises(BackendUnavailable, match="malformed stream|broke|ended"):
            asyncio.run(consume(backend(fake.url)))
    assert seen == ["ord0 ", "ord1 ", "ord2 "]
