"""Deep links into the chat page (`/?passage=…&sentence=…`) and the reading view of a whole
document (`/dokument/{doc_id}#{chunk_id}`), in headless Chromium on the real service."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.ui.support import DESKTOP, PHONE, screenshot

pytestmark = pytest.mark.browser

# A passage that repeats the last sentence of the one before it (the chunker's overlap),
# under "4. Internationella samarbeten › EU:s cyberdiplomati och digitala diplomati".
LINKED = "strategi:0047"
SENTENCE = 2


def _document(service: str, doc_id: str) -> dict[str, Any]:
    response = httpx.get(f"{service}/documents/{doc_id}", timeout=10)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _passage(document: dict[str, Any], chunk_id: str) -> dict[str, Any]:
    return next(p for p in document["passages"] if p["chunk_id"] == chunk_id)


def _sentence(passage: dict[str, Any], index: int) -> str:
    start, end = passage["sentences"][index]
    return str(passage["text"][start:end])


def test_deep_link_opens_the_sentence_then_the_whole_document(page: Any, service: str) -> None:
    document = _document(service, "strategi")
    passage = _passage(document, LINKED)
    assert passage["overlap"] > 0, "the test passage shares a sentence with the one before"
    quoted = _sentence(passage, SENTENCE)

    page.goto(f"/?passage={LINKED}&sentence={SENTENCE}")
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(page.locator("#panel-title")).to_have_text("Länkad källa")
    expect(page.locator("#panel-title")).to_be_focused()
    expect(page.locator("#panel-kind")).to_have_text("Citerad passage")
    expect(panel.locator("mark.cited")).to_have_text(quoted)
    expect(page.locator("#panel-status")).to_be_empty()
    link = panel.get_by_role("link", name="Öppna i dokumentet")
    expect(link).to_have_attribute("href", f"/dokument/strategi?sentence={SENTENCE}#{LINKED}")
    screenshot(page, "desktop-light-deep-link")

    link.click()
    expect(page).to_have_url(re.compile(rf"/dokument/strategi\?sentence={SENTENCE}#{LINKED}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(document["title"])
    target = page.locator(f'[id="{LINKED}"]')
    expect(target).to_have_class(re.compile(r"\btargeted\b"))
    expect(target).to_be_in_viewport()
    expect(target).to_be_focused()
    expect(target.locator("mark.cited")).to_have_text(quoted)
    # The targeted passage is shown whole; the others without the sentence they repeat.
    expect(target.locator(".passage-text")).to_have_text(passage["text"])
    following = document["passages"][document["passages"].index(passage) + 1]
    assert following["overlap"] > 0
    expect(page.locator(f'[id="{following["chunk_id"]}"] .passage-text')).to_have_text(
        following["text"][following["overlap"] :].lstrip()
    )
    expect(target.locator(".passage-page")).to_have_text(f"s. {passage['page']}")
    expect(page.locator("#doc-status")).to_be_empty()
    screenshot(page, "desktop-light-reading-view")

    # The table of contents: the heading tree, every entry a link to a passage on the page.
    toc = page.get_by_role("navigation", name="Innehåll")
    expect(toc.locator("details")).to_have_attribute("open", "")
    chapter = toc.locator("li", has=page.get_by_role("link", name="4. Internationella samarbeten"))
    expect(chapter.get_by_role("link", name="Samarbetet inom Nato")).to_be_visible()
    targets = page.evaluate(
        """() => [...document.querySelectorAll('#toc a')].map(
             a => document.getElementById(decodeURIComponent(a.hash.slice(1)))?.className)"""
    )
    assert targets and all(t and "passage" in t for t in targets)
    assert len(targets) == page.locator("#doc-text .doc-heading").count()

    # Following the table of contents targets another passage and drops the link's sentence.
    nato = next(n for n in document["toc"][-1]["children"] if n["title"] == "Samarbetet inom Nato")
    toc.get_by_role("link", name="Samarbetet inom Nato").click()
    expect(page).to_have_url(re.compile(rf"/dokument/strategi#{nato['chunk_id']}$"))
    expect(page.locator(f'[id="{nato["chunk_id"]}"]')).to_have_class(re.compile(r"\btargeted\b"))
    expect(page.locator(".passage.targeted")).to_have_count(1)
    expect(page.locator("mark.cited")).to_have_count(0)

    # Back to the chat page with a passage of the reading view.
    page.locator(f'[id="{nato["chunk_id"]}"]').get_by_role("link", name="Öppna i chatten").click()
    expect(page.locator("#panel-title")).to_have_text("Länkad källa")
    expect(page.locator("#panel-section")).to_contain_text("Samarbetet inom Nato")
    expect(page.locator("#panel .cited")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    expect(page.locator("#question")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/$"))


def test_bad_deep_links_say_so_in_swedish(page: Any) -> None:
    page.goto("/?passage=strategi:9999&sentence=1")
    expect(page.locator("#panel")).to_be_visible()
    expect(page.locator("#panel-title")).to_have_text("Länkad källa")
    expect(page.locator("#panel-status")).to_contain_text("Passagen strategi:9999 finns inte")
    expect(page.locator("#panel-text")).to_be_hidden()
    expect(page.locator("#panel-document")).to_be_hidden()
    expect(page.locator("#panel-next")).to_be_disabled()
    screenshot(page, "desktop-light-deep-link-unknown")
    page.get_by_role("button", name="Stäng källpanelen").click()
    expect(page.locator("#question")).to_be_focused()
    page.locator("#question").fill("Går det att skriva?")
    expect(page.locator("#question")).to_have_value("Går det att skriva?")

    for bad in ("99", "x"):
        page.goto(f"/?passage=strategi:0042&sentence={bad}")
        expect(page.locator("#panel-status")).to_contain_text(f"(sentence={bad}) finns inte")
        expect(page.locator("#panel-text")).not_to_be_empty()
        expect(page.locator("#panel mark.cited")).to_have_count(0)
    # Without a sentence the passage is the cited one, no sentence marked.
    page.goto("/?passage=strategi:0042")
    expect(page.locator("#panel-kind")).to_have_text("Citerad passage")
    expect(page.locator("#panel-status")).to_be_empty()
    expect(page.locator("#panel mark.cited")).to_have_count(0)
    expect(page.locator("#panel-document")).to_have_attribute(
        "href", "/dokument/strategi#strategi:0042"
    )

    page.goto("/dokument/strategi?sentence=50#strategi:0042")
    expect(page.locator("#doc-status")).to_contain_text("(sentence=50) finns inte")
    expect(page.locator('[id="strategi:0042"]')).to_have_class(re.compile(r"\btargeted\b"))
    page.goto("/dokument/strategi#strategi:9999")
    expect(page.locator("#doc-status")).to_contain_text("Passagen strategi:9999 finns inte")

    response = page.goto("/dokument/finns-inte")
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dokumentet finns inte")
    page.get_by_role("link", name="Till frågorna och svaren").click()
    expect(page).to_have_url(re.compile(r"/$"))


@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_reading_view_screenshots(browser: Any, service: str, device: str, viewport: Any) -> None:
    context = browser.new_context(viewport=viewport, base_url=service)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/dokument/pressmeddelande")
    expect(page.locator("#doc-text .passage")).to_have_count(3)
    screenshot(page, f"{device}-light-reading-press-release")
    page.goto(f"/dokument/strategi?sentence={SENTENCE}#{LINKED}")
    expect(page.locator(f'[id="{LINKED}"] mark.cited')).to_be_in_viewport()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], "no horizontal scrolling"
    screenshot(page, f"{device}-light-reading-target")
    page.goto("/dokument/strategi")
    screenshot(page, f"{device}-light-reading-top")
    page.goto(f"/?passage={LINKED}&sentence={SENTENCE}")
    expect(page.locator("#panel mark.cited")).to_be_visible()
    screenshot(page, f"{device}-light-deep-link-panel")
    page.goto("/dokument/finns-inte")
    screenshot(page, f"{device}-light-reading-missing")
    context.close()
    assert not errors, errors
