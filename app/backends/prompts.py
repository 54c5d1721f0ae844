"""Renders the prompt files in `prompts/` into chat messages (pure once the files are read)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from app.answer.injection import without_instructions
from app.answer.refusals import REFUSALS
from app.domain import EvidenceUnit, Passage, Turn
from indexer.documents import SECTION_SEPARATOR
from indexer.language import Language

TEMPLATE_FILES = ("system.txt", "answer.txt", "rewrite.txt", "answerable.txt")
LANGUAGE_RULES: dict[Language, str] = {
    "sv": "Svara på svenska.",
    "en": "Frågan är på engelska: svara på engelska.",
}
# A document's text must never close its own <passage> block or open a new one.
_TAG = re.compile(r"<\s*/?\s*passage", re.I)
_MAX_HISTORY_CHARS = 600


class PromptError(Exception):
    """A prompt file is missing or has a field the code does not fill."""


@dataclass(frozen=True)
class PromptTemplates:
    system: Template
    answer: Template
    rewrite: Template
    answerable: Template

    @classmethod
    def load(cls, directory: Path) -> PromptTemplates:
        try:
            texts = [(directory / name).read_text(encoding="utf-8") for name in TEMPLATE_FILES]
        except OSError as exc:
            raise PromptError(f"cannot read prompt file: {exc}") from exc
        return cls(*(Template(text.strip()) for text in texts))


def defuse(text: str) -> str:
    return _TAG.sub(lambda m: m.group(0).replace("<", "‹"), text)


def _attribute(value: str) -> str:
    return defuse(value).replace('"', "'").replace("\n", " ")


def format_passages(passages: tuple[Passage, ...]) -> str:
    blocks = []
    for passage in passages:
        chunk = passage.chunk
        page = f' sida="{chunk.page_start}"' if chunk.page_start else ""
        text = defuse(without_instructions(chunk.text))
        blocks.append(
            f'<passage nr="{passage.ref}" dokument="{_attribute(chunk.title)}" '
            f'avsnitt="{_attribute(chunk.section)}"{page}>\n{text}\n</passage>'
        )
    return "\n\n".join(blocks)


def format_evidence(evidence: tuple[EvidenceUnit, ...]) -> str:
    """The answer units, each under the number of the passage it comes from."""
    blocks = []
    for unit in evidence:
        text = defuse(without_instructions(unit.text))
        blocks.append(
            f'<passage nr="{unit.ref}" dokument="{_attribute(unit.doc_id)}" '
            # The nearest heading is context enough, and tokens are time on two cores.
            f'avsnitt="{_attribute(unit.section.split(SECTION_SEPARATOR)[-1])}">\n{text}\n</passage>'
        )
    return "\n\n".join(blocks)


def _render(template: Template, name: str, **fields: str) -> str:
    try:
        return template.substitute(**fields)
    except (KeyError, ValueError) as exc:
        raise PromptError(f"prompt '{name}' has a field the code does not fill: {exc}") from exc


def answer_messages(
    templates: PromptTemplates,
    question: str,
    language: Language,
    passages: tuple[Passage, ...],
    canary: str = "",
    evidence: tuple[EvidenceUnit, ...] = (),
) -> list[dict[str, str]]:
    """`canary` is a string only the system prompt holds: an answer that contains it leaked
    the prompt and is discarded. With `evidence`, the prompt shows those units (the parts of
    the passages that answer) instead of the whole passages: a small model on two cores
    reads about 65 tokens a second, so every token it need not read is time to the answer."""
    system = _render(
        templates.system,
        "system.txt",
        refusal_sv=REFUSALS["sv"],
        refusal_en=REFUSALS["en"],
        canary=canary,
    )
    user = _render(
        templates.answer,
        "answer.txt",
        passages=format_evidence(evidence) if evidence else format_passages(passages),
        question=question,
        language_rule=LANGUAGE_RULES[language],
        refusal=REFUSALS[language],
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def rewrite_messages(
    templates: PromptTemplates, question: str, history: tuple[Turn, ...]
) -> list[dict[str, str]]:
    lines = []
    for turn in history[-6:]:
        speaker = "Användare" if turn.role == "user" else "Assistent"
        content = " ".join(turn.content.split())[:_MAX_HISTORY_CHARS]
        lines.append(f"{speaker}: {content}")
    user = _render(templates.rewrite, "rewrite.txt", history="\n".join(lines), question=question)
    return [{"role": "user", "content": user}]


def answerable_messages(
    templates: PromptTemplates, question: str, evidence: str
) -> list[dict[str, str]]:
    """A yes/no question to the model, under 150 tokens: does this text answer that?"""
    text = defuse(without_instructions(" ".join(evidence.split())))
    user = _render(templates.answerable, "answerable.txt", evidence=text, question=question)
    return [{"role": "user", "content": user}]


def parse_yes_no(text: str) -> bool | None:
    """True for "ja"/"yes", False for "nej"/"no", None for anything else."""
    word = re.sub(r"[^\wåäö]", " ", text.lower()).split()
    if not word:
        return None
    if word[0] in ("ja", "yes"):
        return True
    if word[0] in ("nej", "no"):
        return False
    return None


def clean_rewrite(text: str, fallback: str) -> str:
    """The model's standalone question, or `fallback` when it wrote something else."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return fallback
    candidate = re.sub(
        r"^(fristående fråga|omskriven fråga|fråga)\s*:\s*", "", lines[0], flags=re.I
    )
    candidate = candidate.strip().strip("\"“”'").strip()
    if not candidate or len(candidate) > 400:
        return fallback
    return candidate
