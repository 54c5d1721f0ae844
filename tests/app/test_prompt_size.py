"""The local model reads less: the prompt's answer units, counted in the model's own tokens.

A small model on two cores reads ~65 tokens a second; the fixed system prompt is a cached
prefix, so the tokens after it are the time to the first token.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from app.backends.extractive import ExtractiveBackend
from app.backends.prompts import PromptTemplates, answer_messages
from app.service import QuestionAnswering
from app.settings import PROMPTS_DIR
from eval.question_set import load_questions
from localmodel.fetch import MODEL_FILE, MODEL_SIZE

REPO = Path(__file__).resolve().parents[2]
# What issue 12 aims at for a typical question, after the cached system prompt.
TYPICAL_TOKENS = 500
MOST_TOKENS = 600


@pytest.fixture(scope="module")
def tokenizer() -> Iterator[Any]:
    model = REPO / MODEL_FILE
    if not model.is_file() or model.stat().st_size != MODEL_SIZE:
        pytest.fail(f"{model} is missing or incomplete; run `make setup-llm`")
    from llama_cpp import Llama

    yield Llama(str(model), vocab_only=True, verbose=False)


def _prompts(qa: QuestionAnswering) -> list[tuple[list[dict[str, str]], list[dict[str, str]]]]:
    extractive = qa.routes.get("extractive").backend
    assert isinstance(extractive, ExtractiveBackend)
    templates = PromptTemplates.load(PROMPTS_DIR)
    questions = load_questions(REPO / "eval" / "questions.jsonl")

    async def build() -> list[tuple[list[dict[str, str]], list[dict[str, str]]]]:
        pairs = []
        for item in questions:
            request = (await qa.prepare(item.question, 5)).request
            if extractive.refusal(request) is not None:
                continue  # the gate refuses: no model is asked
            evidence = extractive.select(request)
            assert sum(len(u.text) for u in evidence) <= extractive.evidence_chars + max(
                len(u.text) for u in evidence
            )
            args = (templates, request.question, request.language, request.passages, "C")
            pairs.append((answer_messages(*args, evidence), answer_messages(*args)))
        return pairs

    return anyio.run(build)


def test_the_prompt_shows_answer_units_in_few_tokens(qa: QuestionAnswering, tokenizer: Any) -> None:
    def tokens(text: str) -> int:
        return len(tokenizer.tokenize(text.encode(), add_bos=False, special=True))

    pairs = _prompts(qa)
    assert len(pairs) > 100
    units = [tokens(u[1]["content"]) for u, _ in pairs]
    passages = [tokens(p[1]["content"]) for _, p in pairs]
    # The system prompt is one fixed text: the cached prefix of every request.
    assert len({u[0]["content"] for u, _ in pairs}) == 1
    assert statistics.median(units) <= TYPICAL_TOKENS
    assert max(units) <= MOST_TOKENS
    assert statistics.median(units) * 4 <= statistics.median(passages)
