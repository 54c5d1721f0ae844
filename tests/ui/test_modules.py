"""The page's pure JavaScript helpers, imported as ES modules inside Chromium."""

from __future__ import annotations

import math
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


def test_deep_link_parameters(page: Any) -> None:
    parse = "return arg.map((search) => m.parseDeepLink(search));"
    links = run(
        page,
        "links.js",
        parse,
        ["", "?sentence=2", "?passage=strategi:0042", "?passage=strategi%3A0042&sentence=2"],
    )
    assert links == [
        None,
        None,
        {"chunkId": "strategi:0042", "sentence": None, "rawSentence": None},
        {"chunkId": "strategi:0042", "sentence": 2, "rawSentence": "2"},
    ]
    # An index that is no index is NaN, and the link's text is kept for the message.
    bad = run(page, "links.js", parse, ["?passage=x&sentence=-1", "?passage=x&sentence=1.5"])
    assert all(math.isnan(b["sentence"]) for b in bad)
    assert [b["rawSentence"] for b in bad] == ["-1", "1.5"]
    checks = run(
        page,
        "links.js",
        """return [
          Number.isNaN(m.parseDeepLink("?passage=x&sentence=två").sentence),
          m.isSentenceIndex(1, [[0, 3], [4, 9]]), m.isSentenceIndex(2, [[0, 3], [4, 9]]),
          m.isSentenceIndex(Number.NaN, [[0, 3]]), m.isSentenceIndex(-1, [[0, 3]]),
        ];""",
    )
    assert checks == [True, True, False, False, False]


def test_deep_link_urls(page: Any) -> None:
    urls = run(
        page,
        "links.js",
        """return [
          m.chatLink("strategi:0042"), m.chatLink("strategi:0042", 3),
          m.documentLink("strategi", "strategi:0042"),
          m.documentLink("strategi", "strategi:0042", 0),
          m.documentLink("pressmeddelande"), m.passageFragment("a b:1"),
        ];""",
    )
    assert urls == [
        "/?passage=strategi:0042",
        "/?passage=strategi:0042&sentence=3",
        "/dokument/strategi#strategi:0042",
        "/dokument/strategi?sentence=0#strategi:0042",
        "/dokument/pressmeddelande",
        "#a%20b:1",
    ]
    targets = run(
        page,
        "links.js",
        """return [
          m.parseReadingTarget("?sentence=2", "#strategi:0042"),
          m.parseReadingTarget("", "#strategi%3A0042"), m.parseReadingTarget("", ""),
          m.documentIdFromPath("/dokument/strategi"), m.documentIdFromPath("/dokument/"),
          m.documentIdFromPath("/"),
        ];""",
    )
    assert targets == [
        {"chunkId": "strategi:0042", "sentence": 2, "rawSentence": "2"},
        {"chunkId": "strategi:0042", "sentence": None, "rawSentence": None},
        {"chunkId": None, "sentence": None, "rawSentence": None},
        "strategi",
        None,
        None,
    ]


def test_page_labels_and_the_headings_a_passage_opens(page: Any) -> None:
    labels = run(
        page,
        "text.js",
        "return [m.shortPageLabel(17, 17), m.shortPageLabel(17, 18), m.shortPageLabel(null)];",
    )
    assert labels == ["s. 17", "s. 17–18", ""]
    headings = run(
        page,
        "text.js",
        "return arg.map(([before, now]) => m.newHeadings(before, now));",
        [[[], ["1. A", "B"]], [["1. A", "B"], ["1. A", "C"]], [["1. A", "C"], ["1. A", "C"]]],
    )
    assert headings == [
        [{"level": 0, "title": "1. A"}, {"level": 1, "title": "B"}],
        [{"level": 1, "title": "C"}],
        [],
    ]
