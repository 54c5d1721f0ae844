"""How answers look in each state (refused, degraded, stopped, failed) and on each screen."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.ui.support import DESKTOP, MARS, NATO, PHONE, ask, ask_requests, screenshot

pytestmark = pytest.mark.browser


def test_unanswerable_question_looks_refused(page: Any) -> None:
    answer = ask(page, MARS)
    expect(answer).to_have_class(re.compile(r"\banswer-refused\b"))
    expect(answer.locator(".notice-refused")).to_contain_text("Dokumenten täcker inte frågan")
    expect(answer.locator(".more-sources summary")).to_contain_text("besvarar inte frågan")
    expect(page.locator("#live")).to_contain_text("Dokumenten täcker inte frågan")


def test_stop_button_cancels_the_request(page: Any) -> None:
    held: list[Any] = []
    page.route("**/ask", lambda route: held.append(route))
    page.locator("#question").fill(NATO)
    page.locator("#question").press("Enter")
    expect(page.locator(".answer .busy")).to_contain_text("Söker i dokumenten")
    expect(page.locator("#send")).to_be_hidden()
    page.get_by_role("button", name="Stoppa").click()
    expect(page.locator(".answer")).to_have_class("answer answer-stopped")
    expect(page.locator(".notice-stopped")).to_contain_text("Svaret avbröts")
    expect(page.locator("#send")).to_be_visible()
    expect(page.locator("#question")).to_be_focused()
    for route in held:
        route.abort()


def test_backend_selector_only_with_several_backends(page: Any) -> None:
    expect(page.locator("#backend-field")).to_be_hidden()

    def two_backends(route: Any) -> None:
        body = route.fetch().json()
        route.fulfill(json={**body, "backends": ["extractive", "llm"]})

    page.route("**/health", two_backends)
    bodies = ask_requests(page)
    page.reload()
    expect(page.get_by_label("Svarsmotor")).to_be_visible()
    expect(page.get_by_label("Svarsmotor")).to_have_value("extractive")
    ask(page, NATO)
    assert "backend" not in bodies[0]
    page.get_by_label("Svarsmotor").select_option("llm")
    page.locator("#question").fill(NATO)
    page.locator("#question").press("Enter")
    expect(page.locator(".answer").nth(1)).to_have_class("answer answer-error")
    assert bodies[1]["backend"] == "llm"
    expect(page.locator(".notice-error")).to_contain_text("llm")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("device", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_screenshots(browser: Any, service: str, device: str, viewport: Any, scheme: str) -> None:
    context = browser.new_context(viewport=viewport, color_scheme=scheme, base_url=service)
    page = context.new_page()
    page.goto("/")
    screenshot(page, f"{device}-{scheme}-empty")
    ask(page, NATO)
    ask(page, MARS)
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= viewport["width"], "no horizontal scrolling"
    screenshot(page, f"{device}-{scheme}-answers", full_page=True)
    page.locator(".answer-text .chip").first.click()
    expect(page.locator("mark.cited")).to_have_count(1)
    screenshot(page, f"{device}-{scheme}-panel")
    context.close()


def test_degraded_json_answer_and_stream_error(page: Any, service: str) -> None:
    real = httpx.post(f"{service}/ask", json={"question": NATO}, timeout=30).json()
    page.route("**/ask", lambda route: route.fulfill(json={**real, "degraded": True}))
    answer = ask(page, NATO)  # a plain JSON answer (no stream) is shown too
    expect(answer).to_have_class("answer answer-done")
    expect(answer.locator(".notice-degraded")).to_contain_text("Språkmodellen var inte tillgänglig")
    assert answer.locator(".answer-text .chip").count() >= 1

    citations = json.dumps({"citations": real["citations"], "search_query": NATO})
    error = json.dumps({"error": {"code": "stream_failed", "message": "Ask again.", "details": []}})
    stream = f'event: citations\ndata: {citations}\n\nevent: delta\ndata: {{"text": "Halv"}}\n\n'
    page.unroute("**/ask")
    page.route(
        "**/ask",
        lambda route: route.fulfill(
            body=f"{stream}event: error\ndata: {error}\n\n",
            headers={"content-type": "text/event-stream"},
        ),
    )
    page.locator("#question").fill(NATO)
    page.locator("#question").press("Enter")
    failed = page.locator(".answer").nth(1)
    expect(failed).to_have_class("answer answer-error")
    # The API's English message is shown in Swedish to staff.
    expect(failed.locator(".notice-error")).to_contain_text("Svaret kunde inte slutföras.")
    screenshot(page, "desktop-light-degraded-error", full_page=True)
    page.unroute("**/ask")
    failed.get_by_role("button", name="Försök igen").click()
    expect(page.locator(".answer").nth(2)).to_have_class("answer answer-done")
