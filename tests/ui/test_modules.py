"""The page's pure JavaScript helpers, imported as ES modules inside Chromium."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def run(page: Any, module: str, body: str, arg: Any = None) -> Any:
    """Runs `body` with the module's exports as `m` and `arg` as `arg`."""
    return page.evaluate(
        f"async (arg) => {{ const m = await import('/static/{module}'); {body} }}", arg
    )


def test_sse_parser_handles_split_chunks_crlf_and_multiline_data(page: Any) -> None:
    events = run(
        page,
        "sse.js",
        """
        const p = new m.SseParser();
        const out = [];
        for (const piece of arg) out.push(...p.push(piece));
        out.push(...p.flush());
        return out;
        """,
        [
            'event: citations\ndata: {"a"',
            ": 1}\n\n",
            "event: delta\r\ndata: one\r\ndata: two\r",
            "\n\r\n: a comment\n\nevent: done\ndata: {}",
        ],
    )
    assert events == [
        {"event": "citations", "data": '{"a": 1}'},
        {"event": "delta", "data": "one\ntwo"},
        {"event": "done", "data": "{}"},
    ]


def test_parse_answer_keeps_unknown_markers_as_text(page: Any) -> None:
    parts = run(
        page,
        "text.js",
        "return m.parseAnswer(arg, new Set([1, 2]));",
        "Första meningen. [1] Andra. Tredje meningen. [2][1] Fel [9].",
    )
    assert parts == [
        {"type": "text", "text": "Första meningen. "},
        {"type": "cite", "ref": 1, "sentence": "Första meningen."},
        {"type": "text", "text": " Andra. Tredje meningen. "},
        {"type": "cite", "ref": 2, "sentence": "Tredje meningen."},
        {"type": "cite", "ref": 1, "sentence": "Tredje meningen."},
        {"type": "text", "text": " Fel [9]."},
    ]


def test_best_sentence_prefers_the_largest_word_overlap(page: Any) -> None:
    passage = "Nato är viktigt. Sverige samarbetar med Nato om cyberförsvar. Annat."
    spans = [[0, 16], [17, 62], [63, 69]]
    assert (
        run(
            page,
            "text.js",
            "return m.bestSentence(...arg);",
            [passage, spans, "Sverige samarbetar med Nato om cyberförsvar."],
        )
        == 1
    )
    assert (
        run(page, "text.js", "return m.bestSentence(...arg);", [passage, spans, "Helt orelaterat."])
        == -1
    )


def test_history_holds_finished_turns_only_and_at_most_twenty(page: Any) -> None:
    turns = [{"status": "done", "question": f"F{i}", "answer": f"S{i} [1]"} for i in range(12)]
    turns.append({"status": "stopped", "question": "Avbruten", "answer": "Halv"})
    history = run(page, "text.js", "return m.historyFrom(arg);", turns)
    assert len(history) == 20
    assert history[0] == {"role": "user", "content": "F2"}
    assert history[-1] == {"role": "assistant", "content": "S11 [1]"}
