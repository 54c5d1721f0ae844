"""Limits (OWASP LLM10) over HTTP: body size, rate, concurrent generations, total deadline."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from app.access.keys import key_line, new_key
from app.api.bounds import enter
from app.api.errors import ApiError
from app.limits.gate import GenerationGate
from app.main import create_app
from app.service import QuestionAnswering
from app.settings import Settings
from app.wiring import build_question_answering
from indexer.embedders import Embedder
from tests.app.apps import app_client, serve
from tests.app.fake_llm import fake_llm, grounded, slow

pytestmark = pytest.mark.slow

QUESTION = "Vad säger strategin om samarbetet inom Nato?"


def test_body_over_the_limit_is_a_413(settings: Settings, qa: QuestionAnswering) -> None:
    with app_client(settings, qa, max_body_bytes=4096) as client:
        big = {"question": "Nato?", "history": [{"role": "user", "content": "x" * 5000}]}
        response = client.post("/ask", json=big)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
        assert client.post("/ask", json={"question": "Vad är NB8?"}).status_code == 200


def test_streamed_upload_over_the_limit_is_cut_off(
    settings: Settings, qa: QuestionAnswering
) -> None:
    """No Content-Length (chunked transfer): the limit holds on the bytes that arrive."""
    sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"question": "Nato?", "history": [{"role": "user", "content": "'
        for _ in range(200):
            sent += 1024
            yield b"x" * 1024

    app = create_app(settings.model_copy(update={"max_body_bytes": 8192}), qa=qa)
    with serve(app) as url:
        try:
            response = httpx.post(
                f"{url}/ask",
                content=chunks(),
                headers={"content-type": "application/json"},
                timeout=10,
            )
        except httpx.TransportError:
            pytest.fail("the server should answer 413, not drop the connection")
        assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_question_length_is_bounded(settings: Settings, qa: QuestionAnswering) -> None:
    with app_client(settings, qa) as client:
        response = client.post("/ask", json={"question": "x" * 2001})
        assert response.status_code == 422 and "2000" in response.json()["error"]["message"]


def test_rate_limit_per_client_with_retry_after(settings: Settings, qa: QuestionAnswering) -> None:
    key_a, key_b = new_key(), new_key()
    keys = f"{key_line('a', key_a)},{key_line('b', key_b)}"
    with app_client(
        settings, qa, rate_limit_per_minute=6, rate_limit_burst=3, api_keys=keys
    ) as client:
        a = {"Authorization": f"Bearer {key_a}"}
        statuses = [client.get("/documents", headers=a).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/documents", headers=a)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"
        b = {"Authorization": f"Bearer {key_b}"}
        assert client.get("/documents", headers=b).status_code == 200, "each key its own bucket"
        assert all(client.get("/health").status_code == 200 for _ in range(10))


def test_a_key_with_its_own_limit(
    settings: Settings, qa: QuestionAnswering, tmp_path: Path
) -> None:
    """The keys file gives the intranet service its own bucket size and the evaluator none,
    while an ordinary key keeps the service's default."""
    keys = {name: new_key() for name in ("ordinary", "intranet", "evaluator")}
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(
        f"{key_line('ordinary', keys['ordinary'])}\n"
        f"{key_line('intranet', keys['intranet'])} rate=60 burst=5\n"
        f"{key_line('evaluator', keys['evaluator'])} rate=0\n"
    )
    with app_client(
        settings, qa, rate_limit_per_minute=6, rate_limit_burst=2, api_keys_file=keys_file
    ) as client:

        def statuses(name: str, count: int) -> list[int]:
            headers = {"Authorization": f"Bearer {keys[name]}"}
            return [client.get("/documents", headers=headers).status_code for _ in range(count)]

        assert statuses("ordinary", 3) == [200, 200, 429]
        assert statuses("intranet", 6) == [200] * 5 + [429]
        assert statuses("evaluator", 40) == [200] * 40


def test_rate_limit_by_client_address_without_keys(
    settings: Settings, qa: QuestionAnswering
) -> None:
    with app_client(settings, qa, rate_limit_per_minute=60, rate_limit_burst=2) as client:
        statuses = [client.post("/search", json={"query": "Nato"}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


@pytest.fixture
def llm_app(settings: Settings, embedder: Embedder) -> Iterator[Any]:
    """Makes an app whose default backend is a (slow) fake OpenAI-compatible server."""

    def make(url: str, **overrides: Any) -> Any:
        llm_settings = settings.model_copy(
            update={
                "llm_base_url": url,
                "default_backend": "openai",
                "llm_deadline_s": 20.0,
                "llm_read_timeout_s": 20.0,
                "llm_max_attempts": 1,
                **overrides,
            }
        )
        return create_app(llm_settings, qa=build_question_answering(llm_settings, embedder))

    yield make


def _post_ask(url: str, stream: bool = False) -> tuple[int, dict[str, str], str]:
    response = httpx.post(f"{url}/ask", json={"question": QUESTION, "stream": stream}, timeout=30)
    return response.status_code, dict(response.headers), response.text


def test_concurrent_generations_are_bounded_with_a_short_queue(llm_app: Any) -> None:
    """One slot, a queue of one: the third request at once gets a 503, never a pile-up."""
    with fake_llm(slow(1.5, grounded())) as fake:
        app = llm_app(fake.url, max_concurrent_generations=1, generation_queue=1)
        with serve(app) as url, ThreadPoolExecutor(3) as pool:
            streaming = pool.submit(_post_ask, url, True)
            deadline = time.monotonic() + 10
            while not fake.requests and time.monotonic() < deadline:
                time.sleep(0.02)
            queued = pool.submit(_post_ask, url)
            time.sleep(0.3)
            started = time.monotonic()
            status, headers, text = _post_ask(url)
            refused_after = time.monotonic() - started
            assert status == 503 and headers["retry-after"].isdigit()
            assert json.loads(text)["error"]["code"] == "busy"
            assert refused_after < 1.0, "refused at once, not after waiting"
            assert streaming.result()[0] == 200 and "event: done" in streaming.result()[2]
            assert queued.result()[0] == 200
            metrics = httpx.get(f"{url}/metrics").text
    assert 'rag_http_requests_total{method="POST",route="/ask",status="503"} 1.0' in metrics


def _done(text: str) -> dict[str, Any]:
    block = text.strip().split("\n\n")[-1]
    event, data = block.splitlines()
    assert event == "event: done", text
    result: dict[str, Any] = json.loads(data.removeprefix("data: "))
    return result


def test_deadline_answers_extractively_plain_and_streamed_alike(llm_app: Any) -> None:
    """The service's deadline policy: the same degraded answer for both transports, within
    the deadline, and both counted."""
    with fake_llm(slow(4.0, grounded())) as fake:
        app = llm_app(fake.url, request_deadline_s=1.5)
        with serve(app) as url:
            started = time.monotonic()
            status, _, text = _post_ask(url)
            elapsed = time.monotonic() - started
            plain = json.loads(text)
            assert status == 200 and elapsed < 3.0
            assert plain["degraded"] is True and plain["backend"] == "openai"
            assert "[1]" in plain["answer"]
            started = time.monotonic()
            status, _, text = _post_ask(url, stream=True)
            assert status == 200 and time.monotonic() - started < 3.0
            streamed = _done(text)
            for field in ("answer", "refused", "degraded", "citations", "backend"):
                assert streamed[field] == plain[field], field
            metrics = httpx.get(f"{url}/metrics").text
    assert 'rag_degraded_answers_total{backend="openai"} 2.0' in metrics
    assert 'rag_answers_total{backend="openai"} 2.0' in metrics


def test_waiting_for_a_slot_past_the_deadline_is_a_504() -> None:
    async def main() -> None:
        gate = GenerationGate(slots=1, queue=4)
        await gate.acquire()  # a generation that overruns
        with pytest.raises(ApiError) as info:
            await enter(gate, anyio.current_time() + 0.2, 0.2)
        error = info.value
        assert error.status == 504 and error.code == "deadline_exceeded"
        assert error.headers and error.headers["Retry-After"].isdigit()
        assert gate.waiting == 0 and gate.active == 1
        gate.release()

    anyio.run(main)
