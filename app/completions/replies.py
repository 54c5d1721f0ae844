"""An answer as a chat completion, whole or as stream chunks (plain dicts, ready for JSON)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.completions.sources import annotations_of, sources_block, sources_of
from app.completions.usage import estimate_tokens
from app.domain import Passage, TokenUsage
from app.schemas import Citation
from indexer.language import Language

# When a language model's streamed answer was replaced by the fallback (a stream cannot take
# back what it sent), the replacement follows under this line.
_WHITESPACE = re.compile(r"\s+")
REPLACED_NOTICE = "\n\n*Svaret ovan kunde inte slutföras. Svar ur dokumenten:*\n\n"


@dataclass(frozen=True)
class Reply:
    """The answer with its citations three ways: markers and a block in `content`,
    `annotations` pointing at the markers, and the passages as `/ask` gives them."""

    answer: str  # the text the [n] markers are in
    block: str  # the Markdown sources block ("" when left out or nothing is cited)
    annotations: list[dict[str, object]]
    citations: list[dict[str, Any]]
    refused: bool
    degraded: bool

    @property
    def content(self) -> str:
        return self.answer + self.block


def reply_of(
    answer: str,
    passages: Sequence[Passage],
    *,
    refused: bool,
    degraded: bool,
    language: Language,
    base_url: str,
    with_block: bool,
) -> Reply:
    sources = [] if refused else sources_of(answer, passages, base_url)
    return Reply(
        answer=answer,
        block=sources_block(sources, language) if with_block else "",
        annotations=annotations_of(sources),
        citations=[Citation.from_passage(p).model_dump() for p in passages],
        refused=refused,
        degraded=degraded,
    )


def usage_of(
    reported: TokenUsage | None, prompt_texts: Sequence[str], content: str
) -> dict[str, Any]:
    """What the model reported, or an estimate: the prompt as the question and the history
    the service read, the completion as the content the client gets."""
    if reported is not None:
        prompt, completion, estimated = reported.prompt_tokens, reported.completion_tokens, False
    else:
        prompt, completion = estimate_tokens(prompt_texts), estimate_tokens([content])
        estimated = True
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "estimated": estimated,
    }


@dataclass(frozen=True)
class Envelope:
    """What every completion and chunk of one answer shares."""

    id: str
    created: int
    model: str

    def completion(self, reply: Reply, usage: dict[str, Any]) -> dict[str, Any]:
        message = {
            "role": "assistant",
            "content": reply.content,
            "refusal": None,
            "annotations": reply.annotations,
        }
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
            ],
            "usage": usage,
            "system_fingerprint": None,
            **_grounding(reply),
        }

    def chunk(
        self,
        delta: dict[str, Any],
        finish_reason: str | None = None,
        with_usage_field: bool = False,
        **extra: Any,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if with_usage_field:  # the protocol: null on every chunk but the last, when asked for
            body["usage"] = None
        return body | extra

    def last_chunk(self, reply: Reply, with_usage_field: bool) -> dict[str, Any]:
        """The chunk that ends the answer: the annotations and this service's fields."""
        return self.chunk(
            {"annotations": reply.annotations}, "stop", with_usage_field, **_grounding(reply)
        )

    def usage_chunk(self, usage: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [],
            "usage": usage,
        }


def _grounding(reply: Reply) -> dict[str, Any]:
    return {"citations": reply.citations, "refused": reply.refused, "degraded": reply.degraded}


def continuation(streamed: str, final: str) -> str:
    """What the stream still has to send for the client's text to end in the final answer.

    The final answer is the streamed text checked: the same words, perhaps spaced otherwise
    ("text [1] ." becomes "text [1]."), so whitespace does not count. An answer that was
    replaced (the fallback after a model failed) follows a notice, whole."""
    sent = _WHITESPACE.sub("", streamed)
    seen = 0
    for position, character in enumerate(final):
        if seen == len(sent):
            rest = final[position:]
            return rest.lstrip() if streamed[-1:].isspace() else rest
        if character.isspace():
            continue
        if character != sent[seen]:
            return REPLACED_NOTICE + final
        seen += 1
    return "" if seen == len(sent) else REPLACED_NOTICE + final
