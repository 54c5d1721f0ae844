"""The OpenAI-compatible API: GET /v1/models and POST /v1/chat/completions, plain and
streamed, with the citations in the text, in `annotations` and in `citations`.

Same keys, rate limit, generation slots and deadline as POST /ask. `system` and `developer`
messages are read and set aside: the grounding rules (answer from the documents, cite every
claim, say so when they do not answer) are the service's and no message changes them."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from app.api.bounds import Question, answer_streamed, answer_whole, record_answer
from app.api.deps import QA, AskLimits, Limits, require_json
from app.api.errors import GUARDED, ApiError, error_body, error_docs
from app.api.streaming import (
    DEADLINE_MESSAGE,
    STREAM_FAILED_MESSAGE,
    DeadlineEvent,
)
from app.completions.conversation import Conversation, check_parameters, conversation_of
from app.completions.markdown import markdown_text
from app.completions.models import backend_of, model_names
from app.completions.protocol import ChatCompletion, ChatCompletionRequest, ModelCard, ModelList
from app.completions.replies import Envelope, Reply, continuation, reply_of, usage_of
from app.results import AskEvent, AskResult, DeltaEvent, DoneEvent
from app.service import QuestionAnswering
from indexer.language import detect_language

logger = logging.getLogger("app.api.chat")

router = APIRouter(prefix="/v1", tags=["openai"])

# One `data:` line of a streamed completion: a chat.completion.chunk as JSON, an error body,
# or the closing `[DONE]` (which is not JSON, so the data stays a plain string here).
CHUNK_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string", "description": "A chunk as JSON, or [DONE]."},
    },
}


@dataclass(frozen=True)
class ChatOptions:
    """RAG_PUBLIC_URL (the base of passage links; None: the URL the request came to) and
    RAG_CHAT_SOURCES_BLOCK (the Markdown block's default)."""

    public_url: str | None
    sources_block: bool


async def get_chat_options(request: Request) -> ChatOptions:
    options: ChatOptions = request.app.state.chat_options
    return options


Options = Annotated[ChatOptions, Depends(get_chat_options)]


def _created(qa: QuestionAnswering) -> int:
    try:
        return int(datetime.fromisoformat(qa.manifest["built_at"]).timestamp())
    except (KeyError, TypeError, ValueError):
        return 0


def _model_not_found(model: str, qa: QuestionAnswering) -> ApiError:
    return ApiError(
        404,
        "model_not_found",
        f"The model '{model}' does not exist; use one of: "
        f"{', '.join(model_names(qa.backend_names))} (GET /v1/models).",
        param="model",
    )


@router.get(
    "/models",
    response_model=ModelList,
    responses=error_docs(*GUARDED),
    summary="Modellerna: en per svarsmotor",
)
def list_models(qa: QA) -> ModelList:
    """`cyberstrategi` answers with the default backend, `cyberstrategi-<backend>` with that one."""
    created = _created(qa)
    return ModelList(
        data=[ModelCard(id=name, created=created) for name in model_names(qa.backend_names)]
    )


@router.get(
    "/models/{model}",
    response_model=ModelCard,
    responses=error_docs(404, *GUARDED, s404="Okänd modell."),
    summary="En modell",
)
def retrieve_model(model: str, qa: QA) -> ModelCard:
    if model not in model_names(qa.backend_names):
        raise _model_not_found(model, qa)
    return ModelCard(id=model, created=_created(qa))


def _data(body: dict[str, Any]) -> str:
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


@dataclass(frozen=True)
class _Asked:
    body: ChatCompletionRequest
    conversation: Conversation
    backend: str | None
    base_url: str
    with_block: bool
    envelope: Envelope

    def reply(self, answer: str, result: AskResult) -> Reply:
        """`answer` is the answer's text as Markdown (markdown_text): documents' and models'
        markup stays text in every client that renders it."""
        generation = result.generation
        return reply_of(
            answer,
            result.passages,
            refused=generation.refused,
            degraded=generation.degraded,
            language=detect_language(self.conversation.question),
            base_url=self.base_url,
            with_block=self.with_block,
        )

    def usage(self, result: AskResult, reply: Reply) -> dict[str, Any]:
        prompt = [self.conversation.question, *(t.content for t in self.conversation.history)]
        return usage_of(result.usage, prompt, reply.content)


async def _chunks(
    asked: _Asked, events: AsyncIterator[AskEvent | DeadlineEvent], limits: AskLimits
) -> AsyncIterator[str]:
    """Role first, then the text as it comes, then the block, the annotations and this
    service's fields, then usage when asked for, then [DONE]."""
    envelope = asked.envelope
    options = asked.body.stream_options
    include_usage = bool(options and options.include_usage)
    streamed = ""  # the answer's text so far, and as it was sent (Markdown)
    sent = ""
    try:
        yield _data(envelope.chunk({"role": "assistant", "content": ""}, None, include_usage))
        async for event in events:
            if isinstance(event, DeltaEvent):
                delta = markdown_text(event.text, after=streamed)
                streamed += event.text
                sent += delta
                yield _data(envelope.chunk({"content": delta}, None, include_usage))
            elif isinstance(event, DoneEvent):
                result = event.result
                record_answer(limits, result)
                rest = continuation(sent, markdown_text(result.generation.text))
                reply = asked.reply(sent + rest, result)
                if rest or reply.block:
                    yield _data(
                        envelope.chunk({"content": rest + reply.block}, None, include_usage)
                    )
                yield _data(envelope.last_chunk(reply, include_usage))
                if include_usage:
                    yield _data(envelope.usage_chunk(asked.usage(result, reply)))
            elif isinstance(event, DeadlineEvent):
                logger.warning("the request deadline passed during a chat completion stream")
                yield _data(error_body(504, "deadline_exceeded", DEADLINE_MESSAGE))
                break
    except Exception:  # headers are sent: the error can only travel as a chunk
        logger.exception("the chat completion stream failed")
        yield _data(error_body(500, "stream_failed", STREAM_FAILED_MESSAGE))
    finally:
        await events.aclose()  # type: ignore[attr-defined]
    yield "data: [DONE]\n\n"


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={
        **error_docs(400, 404, 413, 415, 503, 504, *GUARDED, s404="Okänd modell."),
        200: {
            "description": "The completion; with `stream`, `data:` lines of chunks ending in "
            "`data: [DONE]`. The chunk with finish_reason carries `annotations` (in its delta) "
            "and this service's `citations`, `refused` and `degraded`.",
            "content": {"text/event-stream": {"schema": CHUNK_EVENT_SCHEMA}},
        },
    },
    dependencies=[Depends(require_json)],
    summary="Chat Completions (OpenAI-kompatibelt)",
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, qa: QA, limits: Limits, options: Options
) -> Any:
    """The last user message is the question, earlier user and assistant messages the
    history; every claim cites its passage as [n], linked in `annotations`."""
    check_parameters(body)
    try:
        backend = backend_of(body.model, qa.backend_names)
    except KeyError:
        raise _model_not_found(body.model, qa) from None
    conversation = conversation_of(body.messages)
    asked = _Asked(
        body=body,
        conversation=conversation,
        backend=backend,
        base_url=options.public_url or str(request.base_url),
        with_block=options.sources_block if body.sources_block is None else body.sources_block,
        envelope=Envelope(f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), body.model),
    )
    logger.debug(
        "chat completion",
        extra={
            "history_turns": len(conversation.history),
            "instructions": conversation.instructions,
        },
    )
    question = Question(conversation.question, body.k, conversation.history, backend)
    if body.stream:
        return await answer_streamed(
            qa, limits, question, lambda events: _chunks(asked, events, limits)
        )
    result = await answer_whole(qa, limits, question)
    record_answer(limits, result)
    reply = asked.reply(markdown_text(result.generation.text), result)
    return asked.envelope.completion(reply, asked.usage(result, reply))
