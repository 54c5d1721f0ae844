from __future__ import annotations

import pytest

from indexer.language import detect_language


@pytest.mark.parametrize(
    "question",
    [
        "Vad säger strategin om Nato?",
        "Hur många stater deltar i OSSE?",
        "Vilka partner nämns?",
        "NB8",
    ],
)
def test_swedish_questions(question: str) -> None:
    assert detect_language(question) == "sv"


@pytest.mark.parametrize(
    "question",
    ["What does the strategy say about Nato?", "How many states take part in the OSCE?"],
)
def test_english_questions(question: str) -> None:
    assert detect_language(question) == "en"
