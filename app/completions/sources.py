"""An answer's citations three ways for chat tools: `[n]` markers that stay in the text, a
Markdown "Källor" block under it, and `url_citation` annotations whose indices point at the
markers. Every link opens the cited passage in the chat page, its sentence highlighted."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from app.completions.markdown import escape_html, plain_text
from app.domain import Passage
from indexer.documents import Chunk
from indexer.language import Language

# Final answers write every marker as [n] (app.answer.citations.clean_markers).
_MARKER = re.compile(r"\[(\d{1,3})\]")
_WORD = re.compile(r"\w+")
# How much of an answer sentence's words a passage sentence must hold to be the one it quotes.
_QUOTED_SHARE = 0.6
BLOCK_HEADINGS: dict[Language, str] = {"sv": "Källor", "en": "Sources (Swedish documents)"}
_BLOCK_START = re.compile(
    r"\n*^\*\*(?:" + "|".join(re.escape(h) for h in BLOCK_HEADINGS.values()) + r")\*\*$",
    re.M,
)


@dataclass(frozen=True)
class Source:
    """One cited passage: where its first marker is, and the link that opens it."""

    ref: int
    chunk: Chunk
    url: str
    start: int  # of the first [ref] in the answer
    end: int

    @property
    def title(self) -> str:
        return (
            f"{self.chunk.title} – {self.chunk.section}" if self.chunk.section else self.chunk.title
        )


def page_label(chunk: Chunk) -> str | None:
    if chunk.page_start is None:
        return None
    if chunk.page_end is None or chunk.page_end == chunk.page_start:
        return f"s. {chunk.page_start}"
    return f"s. {chunk.page_start}–{chunk.page_end}"


_HTTP = re.compile(r"https?://", re.I)
# What stays as it is in a link's base: the URL's own delimiters, never `(`, `)`, `<`, `>`,
# quotes, backslashes or spaces, which could end a Markdown link target or an attribute.
_URL_SAFE = ":/[]@!$&*+,;=%~"


def passage_link(base_url: str, chunk_id: str, sentence: int | None = None) -> str:
    """The chat page opened at the passage (and its sentence): `/?passage=strategi:0042`.

    The base is the request's URL when RAG_PUBLIC_URL is not set, so it is what the client's
    Host header says: anything but http(s) gives a relative link, and the rest is
    percent-encoded where Markdown or HTML would read it."""
    query = {"passage": chunk_id} | ({} if sentence is None else {"sentence": str(sentence)})
    base = base_url.rstrip("/") if _HTTP.match(base_url) else ""
    return f"{quote(base, safe=_URL_SAFE)}/?{urlencode(query, safe=':')}"


def _words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


def sentence_before(text: str, position: int) -> str:
    """The answer sentence a marker at `position` ends: back to the previous marker or line
    (markers right after markers, "[1][2]", cite that same sentence)."""
    segments = re.split(r"\[\d{1,3}\]|\n", text[:position])
    return next((s.strip() for s in reversed(segments) if _WORD.search(s)), "")


def quoted_sentence(answer_sentence: str, chunk: Chunk) -> int | None:
    """The index of the passage sentence the answer sentence quotes or retells, if one holds
    most of its words (None: the link opens the passage without a highlight)."""
    wanted = _words(answer_sentence)
    if not wanted:
        return None
    shares = [len(wanted & _words(sentence)) / len(wanted) for sentence in chunk.sentence_texts()]
    if not shares or max(shares) < _QUOTED_SHARE:
        return None
    return shares.index(max(shares))


def sources_of(answer: str, passages: Sequence[Passage], base_url: str) -> list[Source]:
    """The passages the answer cites, in the order of their first marker."""
    by_ref = {passage.ref: passage for passage in passages}
    sources: dict[int, Source] = {}
    for match in _MARKER.finditer(answer):
        ref = int(match.group(1))
        if ref in sources or ref not in by_ref:
            continue
        chunk = by_ref[ref].chunk
        said = plain_text(sentence_before(answer, match.start()))
        sentence = quoted_sentence(said, chunk)
        url = passage_link(base_url, chunk.chunk_id, sentence)
        sources[ref] = Source(ref, chunk, url, match.start(), match.end())
    return list(sources.values())


def _markdown_text(text: str) -> str:
    """A title or a detail as a link's text: Markdown punctuation escaped (parentheses too:
    marked ends a link early at an unescaped `](` inside its text), HTML as entities."""
    return escape_html(re.sub(r"([\[\]()\\*_`])", r"\\\1", text))


def sources_block(sources: Sequence[Source], language: Language) -> str:
    """The Markdown block appended to the answer (empty when nothing is cited)."""
    if not sources:
        return ""
    lines = [f"\n\n**{BLOCK_HEADINGS[language]}**\n"]
    for source in sorted(sources, key=lambda s: s.ref):
        details = [part for part in (source.chunk.section, page_label(source.chunk)) if part]
        tail = f", {', '.join(details)}" if details else ""
        lines.append(
            f"- [{source.ref}] [{_markdown_text(source.chunk.title)}]({source.url})"
            f"{_markdown_text(tail)}"
        )
    return "\n".join(lines)


def without_sources_block(text: str) -> str:
    """An earlier answer as history: the text without the block this module appended."""
    match = _BLOCK_START.search(text)
    return text[: match.start()] if match else text


def annotations_of(sources: Sequence[Source]) -> list[dict[str, object]]:
    """One `url_citation` per cited passage, at its first marker (Python string indices,
    that is Unicode code points; the same as UTF-16 units for these documents' text)."""
    return [
        {
            "type": "url_citation",
            "url_citation": {
                "url": source.url,
                "title": source.title,
                "start_index": source.start,
                "end_index": source.end,
            },
        }
        for source in sources
    ]
