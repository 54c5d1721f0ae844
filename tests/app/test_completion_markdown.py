"""/v1 content is Markdown without active markup: document and model text is escaped, the
"Källor" block's titles and link targets too, and `[n]` markers and annotations still hold."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from app.completions.conversation import conversation_of
from app.completions.markdown import markdown_text, plain_text
from app.completions.protocol import ChatMessage
from app.completions.replies import continuation, reply_of
from app.domain import Passage
from indexer.documents import Chunk, Span

HOSTILE = (
    '<img src=x onerror=alert(1)> <script>alert(2)</script> <a href="javascript:alert(3)">x</a> '
    '[klicka](javascript:alert(4)) ![x](x" onerror="alert(5)) [r]: javascript:alert(6) '
    "&lt;script&gt; &#106;avascript: <javascript:alert(7)> [1](javascript:alert(8)) \\<b>"
)
SAID = "Säkerhetstestet <img src=x onerror=alert(3)> visar kodsnuttar."
# Markdown text made of the characters that matter here.
MARKDOWNISH = st.text(alphabet=st.sampled_from(list("[]():\\&<>!ab 1;#lt")), max_size=60)


def _chunk(title: str) -> Chunk:
    text = SAID
    return Chunk(
        chunk_id="xss:0000", doc_id="xss", title=title, heading_path=(), page_start=None,
        page_end=None, start=0, end=len(text), text=text, sentences=(Span(0, len(text)),),
    )  # fmt: skip


def _no_active_markup(markdown: str) -> None:
    assert "<" not in markdown and ">" not in markdown
    assert "](" not in markdown and "]:" not in markdown  # no link, image or definition
    assert not re.search(r"&(?!amp;|lt;|gt;)", markdown)  # no entity but the three


def test_document_markup_goes_out_as_text_with_its_markers() -> None:
    answer = f"{HOSTILE} [1] Och mer. [1][2]"
    escaped = markdown_text(answer)
    _no_active_markup(escaped)
    assert re.findall(r"\[\d+\]", escaped) == re.findall(r"\[\d+\]", answer)
    assert plain_text(escaped) == answer


@given(MARKDOWNISH)
def test_escaping_is_undone_exactly_and_leaves_nothing_active(text: str) -> None:
    escaped = markdown_text(text)
    _no_active_markup(escaped)
    assert plain_text(escaped) == text


@given(st.lists(MARKDOWNISH, max_size=6))
def test_a_stream_escaped_delta_by_delta_is_the_whole_answer_escaped(deltas: list[str]) -> None:
    sent, streamed = "", ""
    for delta in deltas:
        sent += markdown_text(delta, after=streamed)
        streamed += delta
    assert sent == markdown_text(streamed)
    assert continuation(sent, markdown_text(streamed)) == ""


def test_the_sources_block_escapes_titles_and_keeps_links_http() -> None:
    title = "Testdokument <script>alert(1)</script> [x](javascript:alert(2)) &lt;b&gt;"
    passages = [Passage(1, _chunk(title), 1.0, np.zeros((1, 1)))]
    answer = markdown_text(f"{SAID} [1]")
    for base in ("javascript:alert(4)//", "data:text/html,<script>alert(5)</script>"):
        reply = reply_of(
            answer, passages, refused=False, degraded=False, language="sv", base_url=base,
            with_block=True,
        )  # fmt: skip
        link = reply.annotations[0]["url_citation"]["url"]  # type: ignore[index]
        assert link == "/?passage=xss:0000&sentence=0"  # not under a scheme that runs script
        assert f"]({link})" in reply.block
    hostile_host = 'http://a)[x](javascript:alert(6)"<b>/'
    reply = reply_of(
        answer, passages, refused=False, degraded=False, language="sv", base_url=hostile_host,
        with_block=True,
    )  # fmt: skip
    link = "http://a%29[x]%28javascript:alert%286%29%22%3Cb%3E/?passage=xss:0000&sentence=0"
    assert reply.block.endswith(f"]({link})")  # the Host header cannot end the link target
    block = reply.block.split("\n- ", 1)[1]
    title_part = block[block.index("] [") + 2 : block.rindex("](")]
    assert "<" not in title_part and ">" not in title_part
    assert (
        "\\[x\\]\\(javascript:alert\\(2\\)\\)" in title_part and "&amp;lt;b&amp;gt;" in title_part
    )
    assert reply.annotations[0]["url_citation"]["start_index"] == answer.index("[1]")  # type: ignore[index]


def test_an_escaped_answer_reads_back_as_written_in_the_history() -> None:
    said = "Kodsnutten <b>&amp;</b> [x](y) visas som text. [1]"
    messages = [
        ChatMessage(role="user", content="Vad visar testet?"),
        ChatMessage(
            role="assistant", content=markdown_text(said) + "\n\n**Källor**\n\n- [1] [T](u)"
        ),
        ChatMessage(role="user", content="Och sedan?"),
    ]
    assert conversation_of(messages).history[1].content == said
