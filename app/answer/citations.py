"""Post-processing of generated answers: valid [n] markers only, unsupported sentences flagged.

Pure functions; the HTTP backend and the streaming route use them on whatever a model wrote.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from app.answer.refusals import REFUSALS

# "[1]", "[1, 2]", "[1; 3]" and "[1-2]" style groups; anything else in brackets is left alone.
MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\s*\]")
# A bracket that may still become a marker when more text arrives. Unbounded, like MARKER:
# a cap would release "[1, 2, 3, 4, 5" mid-group and let its invalid numbers through.
_OPEN_MARKER = re.compile(r"\[[\d\s,;–-]*$")
_ABBREVIATIONS = frozenset("t.ex bl.a s.k dvs m.m osv inkl ca resp jfr m.fl e.g i.e etc nr".split())
_BOUNDARY = re.compile(r"(?<=[.!?])((?:\s*\[[^\]\n]{1,20}\])*)\s+(?=[\"“(]?[A-ZÅÄÖÉ0-9•\-*])")


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    cited_refs: tuple[int, ...]
    unsupported_sentences: tuple[str, ...]
    refused: bool
    removed_markers: int


def _numbers(group: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", group.strip()):
        bounds = re.split(r"\s*[–-]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            low, high = int(bounds[0]), int(bounds[1])
            numbers.extend(range(low, high + 1) if 0 < high - low <= 10 else (low, high))
        elif part.isdigit():
            numbers.append(int(part))
    return numbers


def _rewrite_marker(match: re.Match[str], valid: Collection[int]) -> tuple[str, int]:
    numbers = _numbers(match.group(1))
    kept = [n for n in dict.fromkeys(numbers) if n in valid]
    return "".join(f"[{n}]" for n in kept), len(numbers) - len(kept)


def clean_markers(text: str, valid: Collection[int]) -> tuple[str, int]:
    """Rewrites marker groups as `[1][2]` and drops numbers that point at no passage."""
    removed = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal removed
        kept, dropped = _rewrite_marker(match, valid)
        removed += dropped
        return kept

    # Echoes of the prompt's passage tags are not part of any answer.
    text = re.sub(r"</?\s*passage[^>\n]*>|\[\s*passage[^\]\n]*\]", "", text, flags=re.I)
    cleaned = MARKER.sub(replace, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned.strip(), removed


def split_answer_sentences(text: str) -> list[str]:
    """Sentences of an answer; markers right after a full stop stay with their sentence."""
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for boundary in _BOUNDARY.finditer(line):
            head = line[start : boundary.start()]
            last_word = re.search(r"(\S+)\.$", head)
            if last_word and last_word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
                continue
            sentences.append((head + boundary.group(1)).strip())
            start = boundary.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if re.search(r"\w", s)]


def is_refusal(text: str) -> bool:
    stripped = MARKER.sub("", text).strip().rstrip(".").strip().lower()
    return any(stripped == refusal.rstrip(".").lower() for refusal in REFUSALS.values())


def check_answer(text: str, valid: Collection[int]) -> CheckedAnswer:
    cleaned, removed = clean_markers(text, valid)
    if is_refusal(cleaned):
        return CheckedAnswer(cleaned, (), (), True, removed)
    cited = tuple(dict.fromkeys(int(n) for n in re.findall(r"\[(\d+)\]", cleaned)))
    unsupported = tuple(
        sentence
        for sentence in split_answer_sentences(cleaned)
        if not MARKER.search(sentence) and not _is_lead_in(sentence)
    )
    return CheckedAnswer(cleaned, cited, unsupported, False, removed)


def _is_lead_in(sentence: str) -> bool:
    """'Strategin nämner följande:' introduces cited items and claims nothing itself."""
    return sentence.rstrip().endswith(":")


class CitationStreamFilter:
    """Applies `clean_markers` to a stream of deltas, holding back a bracket until it closes."""

    def __init__(self, valid: Collection[int]) -> None:
        self._valid = valid
        self._pending = ""

    def feed(self, delta: str) -> str:
        text = self._pending + delta
        self._pending = ""
        open_marker = _OPEN_MARKER.search(text)
        if open_marker:
            self._pending = text[open_marker.start() :]
            text = text[: open_marker.start()]
        return MARKER.sub(lambda m: _rewrite_marker(m, self._valid)[0], text)

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return MARKER.sub(lambda m: _rewrite_marker(m, self._valid)[0], rest)
