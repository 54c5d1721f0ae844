"""Document text, answers and questions are shown as text: markup in them never runs."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from indexer.build import build_store
from indexer.chunking import ChunkerSettings
from indexer.embedders import Embedder
from tests.ui.support import DESKTOP, run_service

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"
TITLE = 'Testdokument <script>alert("titel")</script>'
DOCUMENT = f"""Säkerhetstestet

Säkerhetstestet {IMG} visar att kodsnuttar i dokument alltid visas som vanlig text.
Testsidan {SCRIPT} innehåller ett skript som aldrig får köras i webbläsaren.
"""
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


def _no_markup(page: Any) -> None:
    assert page.locator(".log img, .log script, #panel img, #panel script").count() == 0
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1, "only the page's own module script"


def test_markup_in_documents_and_answers_renders_as_text(
    browser: Any, hostile_service: str
) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=hostile_service)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto("/")

    page.locator("#question").fill("Vad visar säkerhetstestet om kodsnuttar i dokument?")
    page.locator("#question").press("Enter")
    answer = page.locator(".answer").first
    expect(answer).to_have_class("answer answer-done")
    expect(answer.locator(".answer-text")).to_contain_text(IMG)
    expect(answer.locator(".source-title").first).to_have_text(TITLE)

    answer.locator(".answer-text .chip").first.click()
    expect(page.locator("mark.cited")).to_contain_text(IMG)
    expect(page.locator("#panel-doc")).to_have_text(TITLE)
    expect(page.locator("#panel-text")).to_contain_text(SCRIPT)
    page.keyboard.press("Escape")

    page.locator("#question").fill(f"Vad betyder {IMG} och {SCRIPT}?")
    page.locator("#question").press("Enter")
    expect(page.locator(".answer").nth(1)).to_have_class(re.compile(r"\banswer-done\b"))
    expect(page.locator(".question").nth(1)).to_contain_text(IMG)
    _no_markup(page)

    page.reload()  # the conversation restored from localStorage is rendered the same way
    expect(page.locator(".turn")).to_have_count(2)
    expect(page.locator(".answer-text").first).to_contain_text(IMG)
    page.wait_for_timeout(300)
    _no_markup(page)
    assert dialogs == [], f"a script ran: {dialogs}"
    context.close()


def test_markup_in_the_reading_view_and_in_links_renders_as_text(
    browser: Any, hostile_service: str
) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=hostile_service)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto("/dokument/xss")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#doc-text")).to_contain_text(IMG)
    expect(page.locator("#doc-text")).to_contain_text(SCRIPT)
    _no_markup(page)
    page.goto(f"/dokument/xss#{quote(SCRIPT)}")
    expect(page.locator("#doc-status")).to_contain_text(f"Passagen {SCRIPT} finns inte")
    _no_markup(page)

    page.goto(f"/?passage={quote(IMG)}&sentence={quote(SCRIPT)}")
    expect(page.locator("#panel-status")).to_contain_text(f"Passagen {IMG} finns inte")
    page.goto(f"/?passage=xss:0000&sentence={quote(IMG)}")
    expect(page.locator("#panel-status")).to_contain_text(f"(sentence={IMG})")
    page.wait_for_timeout(300)
    _no_markup(page)
    assert dialogs == [], f"a script ran: {dialogs}"
    context.close()
