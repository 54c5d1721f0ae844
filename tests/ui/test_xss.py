"""Document text, answers and questions are shown as text: markup in them never runs, in the
chat page, the citation panel, the reading view, deep links, and /v1 answers rendered as
Markdown by a common renderer (marked, tests/ui/package.json). Every payload calls alert(n)
or sets window.__pwned, so what ran is known by number; the test prints what it tried."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import expect

from indexer.build import build_store
from indexer.chunking import ChunkerSettings
from indexer.embedders import Embedder
from tests.ui.support import DESKTOP, run_service

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
STATIC = Path(__file__).resolve().parents[2] / "app" / "static"
MARKED = Path(__file__).resolve().parent / "node_modules" / "marked" / "lib" / "marked.umd.js"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
# Each payload calls alert(n) with its own n (or sets window.__pwned), so that what ran is
# known by number. Raw HTML, `javascript:` links, Markdown link and image tricks, and entities
# that a renderer decoding twice would turn into markup.
PAYLOADS = (
    IMG,
    SCRIPT,
    '<a href="javascript:alert(3)">länk tre</a>',
    "[klicka](javascript:alert(4))",
    "[klicka](JaVaScRiPt:alert(5))",
    "[klicka](&#106;avascript:alert(6))",
    '[text](https://ok.example "x" onmouseover=alert(7))',
    '![x](x" onerror="alert(8))',
    "<svg onload=alert(9)>",
    '<iframe srcdoc="<script>parent.alert(10)</script>"></iframe>',
    '<iframe srcdoc="&lt;script&gt;parent.alert(11)&lt;/script&gt;"></iframe>',
    "&lt;script&gt;alert(12)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(13)&#62;",
    "<javascript:alert(14)>",
    "[1](javascript:alert(15))",
    "<details open ontoggle=alert(16)>",
    '<a href="#" onclick="window.__pwned=17">länk sjutton</a>',
)
TITLE = "Testdokument <script>alert(18)</script> [x](javascript:alert(19))"
HOSTILE = len(PAYLOADS) + 2  # the title holds two
# Four sentences of payloads, so that one extractive answer quotes them all.
DOCUMENT = "Säkerhetstestet\n\n" + "".join(
    f"Säkerhetstestet del {part + 1} visar kodsnuttarna {' och '.join(PAYLOADS[part::4])} "
    "som vanlig text.\n"
    for part in range(4)
)
MANIFEST = f"""
[[documents]]
id = "pressmeddelande"
title = "Bilateral dialog mellan Sverige och USA om cyber- och digitala frågor"
kind = "pressmeddelande"
language = "sv"
file = "pressmeddelande.md"
format = "markdown"

[[documents]]
id = "xss"
title = '{TITLE}'
kind = "test"
language = "sv"
file = "xss.txt"
format = "text"
"""


@pytest.fixture(scope="module")
def hostile_service(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[str]:
    """A second service on a tiny corpus with a document full of markup."""
    root = tmp_path_factory.mktemp("xss")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "pressmeddelande.md", corpus)
    (corpus / "xss.txt").write_text(DOCUMENT, encoding="utf-8")
    (corpus / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    build_store(corpus, root / "store", embedder, ChunkerSettings(), hnsw_threshold=50_000)
    with run_service(root / "store", corpus, root / "data") as base:
        yield base


# Everything in a region that could run: tags that load or run something, inline handlers,
# link targets under a scheme that runs script; then the events a handler or a link would
# run on (mouseover and focus everywhere, a click on every link, http ones kept in place).
INSPECT = """async ([selector, click]) => {
  const found = [];
  const tags = ["script", "iframe", "frame", "object", "embed", "img", "base", "meta", "link",
    "style", "video", "audio"];
  const urls = ["href", "src", "action", "formaction", "xlink:href", "data", "poster"];
  const scripted = /^(javascript|vbscript|data):/i;
  const target = (node) => (node.getAttribute("href") || "").replace(/[\\s\\0]/g, "");
  document.addEventListener("click", (event) => {
    const link = event.target.closest?.("a");
    if (link && !scripted.test(target(link))) event.preventDefault();
  }, true);
  for (const root of document.querySelectorAll(selector)) {
    for (const node of [root, ...root.querySelectorAll("*")]) {
      const tag = node.tagName.toLowerCase();
      if (tags.includes(tag)) found.push(`<${tag}>`);
      for (const attr of node.attributes) {
        const value = attr.value.replace(/[\\s\\0]/g, "");
        const name = attr.name;
        if (name.startsWith("on") || name === "srcdoc") found.push(`${tag} ${name}`);
        if (urls.includes(name) && scripted.test(value)) found.push(`${tag} ${name}=${value}`);
      }
      node.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
      node.dispatchEvent(new FocusEvent("focus"));
      if (click && tag === "a") {
        node.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
        await new Promise((done) => setTimeout(done, 30));  // one javascript: URL at a time
      }
    }
  }
  return found;
}"""
# The region's text as a reader sees it: the chat page shows each [n] as a chip, "n".
TEXT = """(selector) => [...document.querySelectorAll(selector)].map((root) => {
  const copy = root.cloneNode(true);
  for (const chip of copy.querySelectorAll(".chip")) chip.replaceWith(`[${chip.textContent}]`);
  return copy.textContent;
}).join(" ")"""
# The other payloads' numbers: any alert() they make, or window.__pwned.
PWNED = "() => (window.__pwned === undefined ? null : String(window.__pwned))"


class Watch:
    """A page's alerts (each payload's number), window.__pwned, script errors, and per
    surface which payloads it showed (as text) and which ran."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.alerts: list[str] = []
        self.errors: list[str] = []
        self.tried: dict[str, int] = {}
        self.ran: dict[str, set[str]] = {}
        self.missing: list[str] = []  # what the last region checked did not show
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda m: (
                self.errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )

    def _dialog(self, dialog: Any) -> None:
        self.alerts.append(dialog.message)
        dialog.dismiss()

    def check(self, surface: str, selector: str, *, click: bool = False) -> list[str]:
        """Inspects the region, fires its events, and records what it showed and what ran."""
        found = self.page.evaluate(INSPECT, [selector, click])
        self.page.wait_for_timeout(100)  # an onload or ontoggle runs after the parse
        text = self.page.evaluate(TEXT, selector)
        shown = [p for p in (*PAYLOADS, TITLE) if p in text]
        self.missing = [p for p in (*PAYLOADS, TITLE) if p not in text]
        pwned = self.page.evaluate(PWNED)
        ran = set(self.alerts) | ({pwned} if pwned else set())
        self.alerts.clear()
        self.tried[surface] = len(shown) + (1 if TITLE in shown else 0)  # the title holds two
        self.ran[surface] = ran
        return found

    def report(self) -> str:
        tried = sum(self.tried.values())
        ran = sorted(set().union(*self.ran.values()), key=int) if self.ran else []
        parts = ", ".join(f"{s} {n}" for s, n in self.tried.items())
        return (
            f"{HOSTILE} hostile payloads, shown as text {tried} times ({parts}); "
            f"executed {len(ran)}: {ran}"
        )


@pytest.fixture
def watched(browser: Any, hostile_service: str) -> Iterator[tuple[Any, Watch]]:
    # The page's own CSP would stop inline script anyway: the test turns it off, so that
    # what it checks is the rendering (text, never HTML), the first line of defence.
    context = browser.new_context(viewport=DESKTOP, base_url=hostile_service, bypass_csp=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    watch = Watch(page)
    yield page, watch
    context.close()


def _assert_clean(watch: Watch, found: list[str], surface: str) -> None:
    assert found == [], f"{surface}: active markup in the page: {found}"
    assert watch.ran[surface] == set(), f"{surface}: payloads ran: {watch.ran[surface]}"


QUESTION = "Vilka kodsnuttar visar säkerhetstestet?"


def test_markup_in_documents_and_answers_renders_as_text(
    watched: tuple[Any, Watch],
) -> None:
    page, watch = watched
    page.goto("/")
    page.locator("#question").fill(QUESTION)
    page.locator("#question").press("Enter")
    answer = page.locator(".answer").first
    expect(answer).to_have_class("answer answer-done")
    expect(answer.locator(".answer-text")).to_contain_text(IMG)
    expect(answer.locator(".source-title").first).to_have_text(TITLE)
    _assert_clean(watch, watch.check("answer", ".log"), "answer")
    assert watch.tried["answer"] == HOSTILE, watch.missing

    answer.locator(".answer-text .chip").first.click()
    expect(page.locator("mark.cited")).to_contain_text(IMG)
    expect(page.locator("#panel-doc")).to_have_text(TITLE)
    expect(page.locator("#panel-text")).to_contain_text(SCRIPT)
    _assert_clean(watch, watch.check("citation panel", "#panel"), "citation panel")
    assert watch.tried["citation panel"] == HOSTILE
    page.keyboard.press("Escape")

    page.locator("#question").fill(f"Vad betyder {IMG} och {SCRIPT}?")
    page.locator("#question").press("Enter")
    expect(page.locator(".answer").nth(1)).to_have_class(re.compile(r"\banswer-done\b"))
    expect(page.locator(".question").nth(1)).to_contain_text(IMG)
    _assert_clean(watch, watch.check("question", ".log"), "question")

    page.reload()  # the conversation restored from localStorage is rendered the same way
    expect(page.locator(".turn")).to_have_count(2)
    expect(page.locator(".answer-text").first).to_contain_text(IMG)
    page.wait_for_timeout(300)
    _assert_clean(watch, watch.check("restored conversation", "body"), "restored conversation")
    assert page.locator("script").count() == 1, "only the page's own module script"
    assert watch.errors == [], f"script errors: {watch.errors}"
    print(f"\nchat page: {watch.report()}")


def test_markup_in_the_reading_view_and_in_links_renders_as_text(
    watched: tuple[Any, Watch],
) -> None:
    page, watch = watched
    page.goto("/dokument/xss")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#doc-text")).to_contain_text(IMG)
    expect(page.locator("#doc-text")).to_contain_text(SCRIPT)
    _assert_clean(watch, watch.check("document view", "main"), "document view")
    assert watch.tried["document view"] == HOSTILE
    page.goto(f"/dokument/xss#{quote(SCRIPT)}")
    expect(page.locator("#doc-status")).to_contain_text(f"Passagen {SCRIPT} finns inte")
    _assert_clean(watch, watch.check("#fragment", "body"), "#fragment")

    page.goto(f"/?passage={quote(IMG)}&sentence={quote(SCRIPT)}")
    expect(page.locator("#panel-status")).to_contain_text(f"Passagen {IMG} finns inte")
    _assert_clean(watch, watch.check("?passage=", "body"), "?passage=")
    page.goto(f"/?passage=xss:0000&sentence={quote(IMG)}")
    expect(page.locator("#panel-status")).to_contain_text(f"(sentence={IMG})")
    _assert_clean(watch, watch.check("?sentence=", "body"), "?sentence=")
    for surface, payload in (("unknown /dokument/ id", IMG), ("/dokument/ with a /", SCRIPT)):
        page.goto(f"/dokument/{quote(payload)}")  # the missing page; `/` in it: a JSON 404
        _assert_clean(watch, watch.check(surface, "body"), surface)
    assert watch.errors == [], f"script errors: {watch.errors}"
    print(f"\nreading view and deep links: {watch.report()}")


def test_the_pages_scripts_never_insert_html() -> None:
    """Text goes in as text (textContent, text nodes): no script of the pages parses HTML."""
    sinks = re.compile(
        r"\.(innerHTML|outerHTML|insertAdjacentHTML|srcdoc)\b|document\.write|\beval\(|"
        r"new Function\(|createContextualFragment|DOMParser|setHTML"
    )
    found = [
        f"{script.name}: {match.group()}"
        for script in sorted(STATIC.glob("*.js"))
        for match in sinks.finditer(script.read_text(encoding="utf-8"))
    ]
    assert len(list(STATIC.glob("*.js"))) >= 10 and found == [], found


def test_deep_link_parameters_are_never_reflected_as_html(hostile_service: str) -> None:
    pages = {"/": "index.html", "/dokument/xss": "document.html"}
    tried = 0
    for payload in (*PAYLOADS, TITLE):
        for path, query in (
            ("/", f"?passage={quote(payload)}&sentence={quote(payload)}"),
            ("/", f"?passage=xss:0000&sentence={quote(payload)}"),
            ("/dokument/xss", f"?sentence={quote(payload)}"),
            (f"/dokument/{quote(payload, safe='')}", ""),
            (f"/documents/{quote(payload, safe='')}", ""),
            (f"/chunks/{quote(payload, safe='')}", ""),
        ):
            response = httpx.get(hostile_service + path + query)
            tried += 1
            kind = response.headers["content-type"]
            assert response.headers["x-content-type-options"] == "nosniff"
            if kind.startswith("text/html"):  # the static files, byte for byte
                name = pages.get(path, "missing.html")
                assert response.content == (STATIC / name).read_bytes(), path + query
            else:  # an error may name what was asked, as a JSON string
                assert kind == "application/json", path + query
                json.loads(response.text)
    print(f"\nreflected: {tried} requests with a payload in a parameter or the path, 0 as HTML")


def _completion(base: str, stream: bool) -> str:
    body = {"model": "cyberstrategi", "messages": [{"role": "user", "content": QUESTION}]}
    if not stream:
        response = httpx.post(f"{base}/v1/chat/completions", json=body, timeout=30)
        response.raise_for_status()
        return str(response.json()["choices"][0]["message"]["content"])
    content = ""
    with httpx.stream(
        "POST", f"{base}/v1/chat/completions", json=body | {"stream": True}, timeout=30
    ) as response:
        for line in response.iter_lines():
            if line.startswith("data: {"):
                for choice in json.loads(line[6:])["choices"]:
                    content += choice["delta"].get("content") or ""
    return content


def _render_markdown(page: Any, markdown: str) -> None:
    """What a chat client does with the content: marked, no sanitiser, into a page of its
    own with no CSP, parsed as a whole document (so that a <script> in it would run)."""
    page.goto("about:blank")
    page.add_script_tag(path=str(MARKED))
    html = page.evaluate("(text) => marked.parse(text)", markdown)
    page.set_content(f"<!doctype html><html><body><main>{html}</main></body></html>")


@pytest.fixture(scope="module")
def marked_ready() -> None:
    if not MARKED.exists():
        pytest.fail(f"{MARKED} is missing; run `make setup-browser` (npm ci in tests/ui)")


def test_v1_answers_rendered_as_markdown_run_nothing(
    watched: tuple[Any, Watch], hostile_service: str, marked_ready: None
) -> None:
    page, watch = watched
    for stream in (False, True):
        surface = "/v1 streamed" if stream else "/v1"
        content = _completion(hostile_service, stream)
        assert "<" not in content and ">" not in content, content
        assert content.count("[1]") >= 2, "the markers stay [n]"
        _render_markdown(page, content)
        _assert_clean(watch, watch.check(surface, "main", click=True), surface)
        assert watch.tried[surface] == HOSTILE, "shown as the documents wrote them"
        links = page.locator("main a").evaluate_all("(links) => links.map((a) => a.href)")
        assert all(link.startswith(("http://", "https://")) for link in links), links
        assert links[-1].startswith(f"{hostile_service}/?passage=xss:0000"), "the Källor link"
    assert watch.errors == [], f"script errors: {watch.errors}"
    print(f"\n/v1 rendered with marked: {watch.report()}")


def test_the_detector_sees_the_payloads_run_when_they_are_rendered_raw(
    watched: tuple[Any, Watch], marked_ready: None
) -> None:
    """The control: each payload as a document wrote it, not escaped, through the same
    renderer and checks (one at a time: an unclosed <svg> swallows what follows it)."""
    page, watch = watched
    live = []
    for number, payload in enumerate(PAYLOADS, start=1):
        _render_markdown(page, f"Säkerhetstestet visar {payload} som text.")
        found = watch.check(f"raw {number}", "main", click=True)
        if found or watch.ran[f"raw {number}"]:
            live.append(number)
    ran = sorted(set().union(*watch.ran.values()), key=int)
    print(
        f"\ncontrol: of {len(PAYLOADS)} payloads rendered raw with marked, {len(live)} are "
        f"active markup and {len(ran)} ran: {ran}"
    )
    assert {"1", "2", "3", "4", "5", "6", "9", "10", "16", "17"} <= set(ran)
