"""Generated answers over the OpenAI-compatible Chat Completions protocol.

One class serves vLLM, Ollama, llama.cpp's server, OpenAI and Azure OpenAI: they differ only in
`base_url`, `model`, the key and (Azure) an `api-version` query parameter. The httpx client is
handed in, so tests point it at a real server on loopback that misbehaves on purpose.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from app.backends.base import BackendUnavailable
from app.backends.prompts import (
    PromptTemplates,
    answer_messages,
    answerable_messages,
    clean_rewrite,
    parse_yes_no,
    rewrite_messages,
)
from app.backends.retry import RETRYABLE_STATUS, RetryPolicy, next_delay, parse_retry_after
from app.domain import GenerationRequest, TokenUsage, Turn, UsageMeter

logger = logging.getLogger("app.backends.openai")


@dataclass(frozen=True)
class OpenAIOptions:
    model: str
    max_tokens: int = 400
    temperature: float = 0.1
    deadline_s: float = 60.0
    rewrite_deadline_s: float = 15.0
    api_version: str | None = None
    canary: str = ""
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def _content(data: Any) -> str:
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise BackendUnavailable("malformed response: no choices[0].message.content") from exc
    if not isinstance(content, str):
        raise BackendUnavailable("malformed response: content is not text")
    return content


def usage_of(data: Any) -> TokenUsage | None:
    """The `usage` a response or a stream's last chunk reports, if it is well formed."""
    usage = data.get("usage") if isinstance(data, dict) else None
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    if isinstance(prompt, int) and isinstance(completion, int) and min(prompt, completion) >= 0:
        return TokenUsage(prompt, completion)
    return None


@dataclass(frozen=True)
class StreamChunk:
    text: str
    finished: bool  # it carried a finish_reason
    usage: TokenUsage | None


def _stream_chunk(payload: str) -> StreamChunk:
    try:
        event = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise BackendUnavailable("malformed stream: a data line is not JSON") from exc
    if not isinstance(event, dict):
        raise BackendUnavailable("malformed stream: a data line is not an object")
    usage = usage_of(event)
    choices = event.get("choices") or []
    if not choices:  # usage-only chunks carry no choices
        return StreamChunk("", False, usage)
    choice = choices[0] if isinstance(choices[0], dict) else {}
    delta = choice.get("delta") or {}
    text = delta.get("content") if isinstance(delta, dict) else None
    return StreamChunk(
        text if isinstance(text, str) else "", bool(choice.get("finish_reason")), usage
    )


class OpenAIBackend:
    name = "openai"

    def __init__(
        self,
        client: httpx.AsyncClient,
        options: OpenAIOptions,
        templates: PromptTemplates,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self.options = options
        self._templates = templates
        self._rng = rng or random.Random()

    async def aclose(self) -> None:
        await self._client.aclose()

    def _body(self, messages: list[dict[str, str]], stream: bool, max_tokens: int) -> dict:
        return {
            "model": self.options.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": self.options.temperature,
            "stream": stream,
        }

    async def _open(self, body: dict, deadline: float) -> httpx.Response:
        """Sends the request, retrying connect errors, 429 and 5xx within the deadline."""
        params = {"api-version": self.options.api_version} if self.options.api_version else None
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BackendUnavailable(f"deadline passed after {attempt - 1} attempts")
            retry_after: float | None = None
            try:
                with anyio.fail_after(remaining):
                    response = await self._client.send(
                        self._client.build_request(
                            "POST", "chat/completions", json=body, params=params
                        ),
                        stream=True,
                    )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                reason = f"cannot connect ({type(exc).__name__})"
            except (TimeoutError, httpx.TimeoutException) as exc:
                raise BackendUnavailable("no response before the deadline") from exc
            except httpx.HTTPError as exc:
                raise BackendUnavailable(f"request failed ({type(exc).__name__})") from exc
            else:
                if response.status_code < 400:
                    return response
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                await response.aclose()
                reason = f"HTTP {response.status_code}"
                if response.status_code not in RETRYABLE_STATUS:
                    raise BackendUnavailable(reason)
            delay = next_delay(
                self.options.retry, attempt, deadline - time.monotonic(), retry_after, self._rng
            )
            if delay is None:
                raise BackendUnavailable(f"{reason}; gave up after {attempt} attempts")
            logger.info("LLM %s; retrying in %.2f s (attempt %d)", reason, delay, attempt + 1)
            await anyio.sleep(delay)

    async def _complete(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        budget: float,
        meter: UsageMeter | None = None,
    ) -> str:
        deadline = time.monotonic() + budget
        response = await self._open(self._body(messages, False, max_tokens), deadline)
        try:
            with anyio.fail_after(max(0.0, deadline - time.monotonic())):
                raw = await response.aread()
        except (TimeoutError, httpx.HTTPError) as exc:
            raise BackendUnavailable(f"reading the answer failed ({type(exc).__name__})") from exc
        finally:
            await response.aclose()
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BackendUnavailable("malformed response: body is not JSON") from exc
        content = _content(data)
        usage = usage_of(data)
        if meter is not None and usage is not None:
            meter.add(usage)
        return content

    def _answer_prompt(self, request: GenerationRequest) -> list[dict[str, str]]:
        return answer_messages(
            self._templates,
            request.question,
            request.language,
            request.passages,
            self.options.canary,
            request.evidence,
        )

    async def answerable(self, question: str, evidence: str) -> bool | None:
        """The model's yes/no on whether `evidence` answers `question` (None: it said
        neither); a short call, two tokens out."""
        messages = answerable_messages(self._templates, question, evidence)
        text = await self._complete(messages, 2, self.options.rewrite_deadline_s)
        return parse_yes_no(text)

    async def generate(self, request: GenerationRequest) -> str:
        """The model's whole answer, as it wrote it."""
        messages = self._answer_prompt(request)
        return await self._complete(
            messages, self.options.max_tokens, self.options.deadline_s, request.usage
        )

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[str, None]:
        """Raw deltas as the model writes them; closing the iterator closes the connection."""
        messages = self._answer_prompt(request)
        deadline = time.monotonic() + self.options.deadline_s
        response = await self._open(self._body(messages, True, self.options.max_tokens), deadline)
        finished = False
        try:
            async for line in response.aiter_lines():
                if time.monotonic() > deadline:
                    raise BackendUnavailable("the stream ran past its deadline")
                if not line.startswith("data:"):
                    continue  # blank separators, comments, event names
                payload = line[5:].strip()
                if payload == "[DONE]":
                    finished = True
                    break
                chunk = _stream_chunk(payload)
                finished = finished or chunk.finished
                if chunk.usage is not None:
                    request.usage.add(chunk.usage)
                if chunk.text:
                    yield chunk.text
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"the stream broke ({type(exc).__name__})") from exc
        finally:
            await response.aclose()
        if not finished:
            raise BackendUnavailable("the stream ended before the answer was finished")

    async def rewrite(self, question: str, history: Sequence[Turn]) -> str:
        messages = rewrite_messages(self._templates, question, tuple(history))
        text = await self._complete(messages, 80, self.options.rewrite_deadline_s)
        return clean_rewrite(text, fallback=question)
