"""The Chat Completions request and response bodies, as the OpenAI reference shapes them,
with this service's additions (`citations`, `refused`, `degraded`; `sources_block` and `k` in
the request). Parameters that only steer sampling are accepted and have no effect: the
answers come from the documents."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from app.schema_types import JsonBool, JsonInt, police
from app.schemas import MAX_K, Citation
from app.text_policy import TextRule

# A message's text, whatever its role: the input policy (app.text_policy), bounded in bytes,
# since the protocol gives it no length (the question, the last message, is bounded in
# characters by conversation_of; an earlier turn is cut to 8,000 characters).
MAX_MESSAGE_BYTES = 32_768
MESSAGE_RULE = TextRule(None, MAX_MESSAGE_BYTES, required=False)


# What the OpenAPI document promises is what is answered; the request model itself takes more,
# so that what is refused gets a message naming the parameter (ProtocolError), not a
# validation error. A value outside these schemas is a 400.
def _only(*values: Any) -> Any:
    return WithJsonSchema({"anyOf": [*({"const": v} for v in values), {"type": "null"}]})


_NONE = WithJsonSchema({"anyOf": [{"type": "array", "maxItems": 0}, {"type": "null"}]})


class ContentPart(BaseModel):
    """One part of a message's content; only `text` parts are answered."""

    model_config = ConfigDict(extra="allow")

    type: Annotated[str, WithJsonSchema({"const": "text"})] = Field(
        description="'text'; image, audio and file parts are refused."
    )
    text: Annotated[str | None, WithJsonSchema({"type": "string"})] = Field(
        default=None, description="The text of a 'text' part."
    )


def _police_content(content: str | list[ContentPart] | None) -> str | list[ContentPart] | None:
    """The policy on the text, or on each text part, reported as `messages.<i>.content`."""
    if isinstance(content, str):
        return police(content, MESSAGE_RULE)
    for part in content or []:
        if part.text is not None:
            part.text = police(part.text, MESSAGE_RULE)
    return content


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Annotated[
        Literal["system", "developer", "user", "assistant", "tool", "function"],
        WithJsonSchema({"enum": ["system", "developer", "user", "assistant"]}),
    ] = Field(
        description="'user' and 'assistant' make the conversation; 'system' and 'developer' "
        "are accepted but never change the grounding rules; 'tool' and 'function' are refused."
    )
    content: Annotated[str | list[ContentPart] | None, AfterValidator(_police_content)] = Field(
        default=None, description="Text, or a list of text parts."
    )


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: JsonBool = Field(
        default=False, description="A last chunk with `usage` and no choices, before [DONE]."
    )


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {"model": "cyberstrategi", "messages": [{"role": "user", "content": "Vad är NB8?"}]}
            ]
        },
    )

    model: str = Field(description="A name from GET /v1/models, e.g. 'cyberstrategi'.")
    messages: list[ChatMessage] = Field(
        min_length=1,
        max_length=1000,
        description="The conversation, oldest first; the last message is the user's question.",
    )
    stream: JsonBool = Field(default=False, description="Answer as `data:` chunks.")
    stream_options: StreamOptions | None = None
    n: Annotated[JsonInt | None, _only(1)] = Field(
        default=None, description="Only 1: one answer per question."
    )
    tools: Annotated[list[Any] | None, _NONE] = Field(
        default=None, description="Refused when not empty."
    )
    tool_choice: Annotated[Any, _only("none")] = Field(default=None, description="Only 'none'.")
    functions: Annotated[list[Any] | None, _NONE] = Field(
        default=None, description="Refused when not empty."
    )
    function_call: Annotated[Any, _only("none")] = Field(default=None, description="Only 'none'.")
    response_format: Annotated[
        dict[str, Any] | None,
        WithJsonSchema(
            {
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {"type": {"const": "text"}},
                        "required": ["type"],
                    },
                    {"type": "null"},
                ]
            }
        ),
    ] = Field(default=None, description="Only {'type': 'text'}.")
    logprobs: Annotated[JsonBool | None, _only(False)] = Field(
        default=None, description="Not available."
    )
    modalities: Annotated[
        list[str] | None,
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "array", "items": {"const": "text"}, "minItems": 1, "maxItems": 1},
                    {"type": "null"},
                ]
            }
        ),
    ] = Field(default=None, description="Only ['text'].")
    audio: Annotated[dict[str, Any] | None, WithJsonSchema({"type": "null"})] = Field(
        default=None, description="Refused."
    )
    sources_block: JsonBool | None = Field(
        default=None,
        description="This service's option: false leaves out the Markdown 'Källor' block "
        "(for clients that read `annotations` or `citations`); default RAG_CHAT_SOURCES_BLOCK.",
    )
    k: JsonInt = Field(
        default=5, ge=1, le=MAX_K, description="This service's option: passages to retrieve."
    )


class UrlCitation(BaseModel):
    url: str = Field(description="Opens the passage in the chat page: /?passage=<id>.")
    title: str = Field(description="The document and the section.")
    start_index: int = Field(description="Where the [n] marker starts in `content`.")
    end_index: int = Field(description="Where the marker ends (exclusive).")


class Annotation(BaseModel):
    type: Literal["url_citation"] = "url_citation"
    url_citation: UrlCitation


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = Field(default=None, description="Always null: see `refused`.")
    annotations: list[Annotation]


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    logprobs: None = None
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    estimated: bool = Field(
        description="True when the counts are an estimate (3.18 characters per token): the "
        "answer is extractive, or the model server did not report them."
    )


class Grounding(BaseModel):
    """What this service adds to each completion (a client that does not know it ignores it)."""

    citations: list[Citation] = Field(description="The passages [n] cites, as POST /ask.")
    refused: bool = Field(description="True when the documents do not answer the question.")
    degraded: bool = Field(description="True when the extractive fallback answered.")


class ChatCompletion(Grounding):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None


class ModelCard(BaseModel):
    id: str = Field(description="e.g. 'cyberstrategi' or 'cyberstrategi-extractive'.")
    object: Literal["model"] = "model"
    created: int = Field(description="When the loaded store was built (Unix time).")
    owned_by: str = "cyberstrategi"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
