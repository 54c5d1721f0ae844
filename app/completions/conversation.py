"""From a Chat Completions request to a question and its history, or a ProtocolError that
names the parameter and says what is allowed."""

from __future__ import annotations

from dataclasses import dataclass

from app.completions.markdown import plain_text
from app.completions.protocol import ChatCompletionRequest, ChatMessage
from app.completions.sources import without_sources_block
from app.domain import Role, Turn
from app.schemas import MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_TURN_CHARS


class ProtocolError(Exception):
    """A request the service cannot answer as asked: a 400 in the protocol's error shape."""

    def __init__(self, param: str | None, message: str, code: str = "unsupported_parameter"):
        super().__init__(message)
        self.param = param
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Conversation:
    question: str
    history: tuple[Turn, ...]
    # System and developer messages read (and set aside: the grounding rules stand).
    instructions: int


_NO_TOOLS = (
    "Tools and function calls are not supported: the service answers from its documents only."
)


def check_parameters(request: ChatCompletionRequest) -> None:
    """Refuses what the service cannot do rather than silently doing something else."""
    if request.n is not None and request.n != 1:
        raise ProtocolError("n", f"n={request.n}: only n=1 is supported (one answer).")
    if request.tools or request.functions:
        raise ProtocolError("tools" if request.tools else "functions", _NO_TOOLS)
    for name, choice in (
        ("tool_choice", request.tool_choice),
        ("function_call", request.function_call),
    ):
        if choice is not None and choice != "none":
            raise ProtocolError(name, _NO_TOOLS)
    if request.response_format is not None and request.response_format.get("type") != "text":
        raise ProtocolError(
            "response_format", "Only response_format {'type': 'text'}: answers are cited text."
        )
    if request.logprobs:
        raise ProtocolError("logprobs", "Log probabilities are not available; leave logprobs out.")
    if request.audio is not None:
        raise ProtocolError("audio", "Only text output: leave audio out.")
    if request.modalities is not None and request.modalities != ["text"]:
        raise ProtocolError("modalities", "Only text output: modalities ['text'].")


def _text(message: ChatMessage, index: int) -> str:
    content = message.content
    if content is None:
        if message.role == "assistant" and getattr(message, "tool_calls", None):
            raise ProtocolError(f"messages[{index}].tool_calls", _NO_TOOLS)
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for number, part in enumerate(content):
        if part.type != "text" or part.text is None:
            raise ProtocolError(
                f"messages[{index}].content[{number}]",
                f"A '{part.type}' content part cannot be answered: send text parts only "
                "(no images, audio or files).",
            )
        texts.append(part.text)
    return "\n".join(texts)


def conversation_of(messages: list[ChatMessage]) -> Conversation:
    """The last message is the question; earlier user and assistant messages are history
    (the last MAX_HISTORY_TURNS of them; an answer's 'Källor' block is left out of it, and
    its Markdown escapes are undone)."""
    turns: list[Turn] = []
    instructions = 0
    for index, message in enumerate(messages):
        if message.role in ("tool", "function"):
            raise ProtocolError(f"messages[{index}].role", _NO_TOOLS)
        text = _text(message, index)
        if message.role in ("system", "developer"):
            instructions += 1
            continue
        role: Role = "user" if message.role == "user" else "assistant"
        if role == "assistant":  # an answer of this service's, read back as it was written
            text = plain_text(without_sources_block(text))
        turns.append(Turn(role, text.strip()))
    last = len(messages) - 1
    if messages[last].role != "user":
        raise ProtocolError(
            "messages", "The last message must be the user's question (role 'user')."
        )
    question = turns.pop().content
    if not question:  # the text policy has removed what is invisible
        raise ProtocolError(
            f"messages[{last}].content",
            "The question is empty or has no visible characters (only whitespace, control or "
            "zero-width characters): write it in the last message.",
        )
    if len(question) > MAX_QUESTION_CHARS:
        raise ProtocolError(
            f"messages[{last}].content",
            f"The question has {len(question)} characters; at most {MAX_QUESTION_CHARS}.",
            "question_too_long",
        )
    history = [Turn(turn.role, turn.content[:MAX_TURN_CHARS]) for turn in turns if turn.content][
        -MAX_HISTORY_TURNS:
    ]
    return Conversation(question, tuple(history), instructions)
