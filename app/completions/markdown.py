"""Document and model text as Markdown that holds no active markup and no link.

`/v1` content is Markdown, and chat clients render Markdown to HTML, most of them passing
raw HTML through. The answer quotes documents (and a model may repeat anything a document or
a question says), so such text goes out with `<`, `>` and `&` as entities (no tag, and no
entity a renderer could decode into one), backslashes doubled, and a backslash after each
`]` that would open a link target (`](`, `]:`): no link, image or link definition comes from
that text, only from the service's own "Källor" block. `[n]` markers stay as they are, and
so does a model's emphasis or list. Escaping looks back one character, so a stream escapes
delta by delta. (pure)
"""

from __future__ import annotations

import re

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SPECIAL = re.compile(r"[\\&<>]")
_LINK_TARGET = re.compile(r"\](?=[(:])")
_ESCAPED = re.compile(r"\\\\|(?<=\])\\(?=[(:])|&(?:amp|lt|gt);")
_UNESCAPED = {"\\\\": "\\", "\\": "", "&amp;": "&", "&lt;": "<", "&gt;": ">"}


def escape_html(text: str) -> str:
    """`<`, `>` and `&` as entities: text that no Markdown renderer turns into a tag."""
    return re.sub(r"[&<>]", lambda m: _HTML[m.group()], text)


def _escaped(text: str) -> str:
    text = _SPECIAL.sub(lambda m: "\\\\" if m.group() == "\\" else _HTML[m.group()], text)
    return _LINK_TARGET.sub("]\\\\", text)


def markdown_text(text: str, after: str = "") -> str:
    """`text` as Markdown whose characters all show, with no HTML and no link.

    `after` is the text already sent before it (a stream's earlier deltas): its last
    character decides whether a leading `(` or `:` opens a link target. Deltas escaped this
    way join to the whole text escaped."""
    before = after[-1:]
    return _escaped(before + text)[len(_escaped(before)) :]


def plain_text(markdown: str) -> str:
    """The inverse of `markdown_text`: an earlier answer read back as history."""
    return _ESCAPED.sub(lambda m: _UNESCAPED[m.group()], markdown)
