"""Asking, reading sources, following up, feedback and the keyboard, in headless Chromium."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.ui.support import DONE, NATO, ask, ask_requests, screenshot

pytestmark = pytest.mark.browser

# Records every state an answer goes through and how much text it showed then
# (installed before the page's own scripts; read back after the answer is done).
RECORD_STATES = """
window.__states = [];
new MutationObserver(() => {
  for (const answer of document.querySelectorAll(".answer")) {
    const text = answer.querySelector(".answer-text");
    window.__states.push([answer.className, text ? text.textContent.length : 0]);
  }
}).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
"""


def test_example_question_streams_a_cited_answer(page: Any) -> None:
    page.add_init_script(RECORD_STATES)
    page.reload()
    expect(page.locator("#intro")).to_be_visible()
    expect(page.locator("#question")).to_be_focused()
    with page.expect_response("**/ask") as response_info:
        page.get_by_role("button", name=NATO).click()
    answer = page.locator(".answer").first
    expect(answer).to_have_class("answer answer-done")  # answered, not refused
    assert response_info.value.headers["content-type"].startswith("text/event-stream")
    expect(page.locator("#intro")).to_be_hidden()
    expect(page.locator("#question")).to_be_focused()

    states = page.evaluate("() => window.__states")
    classes = [c for c, _ in states]
    assert any("answer-searching" in c for c in classes), "a visible state while searching"
    final = len(answer.locator(".answer-text").text_content())
    partial = {n for c, n in states if "answer-streaming" in c}
    assert partial and min(partial) < final, "the answer appeared piece by piece"

    chips = answer.locator(".answer-text .chip")
    assert chips.count() >= 1
    expect(answer.locator(".sources h3")).to_have_text("Källor")
    assert answer.locator(".sources > .source-list .source").count() >= 1
    expect(page.locator("#live")).to_contain_text("Svar:")

    chips.first.click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(page.locator("#panel-title")).to_be_focused()
    expect(page.locator("#panel-kind")).to_have_text("Citerad passage")
    mark = panel.locator("mark.cited")
    expect(mark).to_have_count(1)
    # The extractive answer quotes the highlighted sentence verbatim.
    assert mark.text_content().strip() in answer.locator(".answer-text").text_content()
    assert page.locator("#panel-doc").text_content().startswith("Strategi")
    expect(page.locator("#panel-page")).to_contain_text("sid")
    screenshot(page, "desktop-light-panel")

    first_text = page.locator("#panel-text").text_content()
    page.locator("#panel-next").click()
    expect(page.locator("#panel-kind")).to_contain_text("Närliggande")
    expect(page.locator("#panel-text")).not_to_have_text(first_text)
    expect(mark).to_have_count(0)
    page.locator("#panel-previous").click()
    page.locator("#panel-previous").click()
    expect(page.locator("#panel-back")).to_be_visible()
    page.locator("#panel-back").click()
    expect(page.locator("#panel-text")).to_have_text(first_text)
    expect(mark).to_have_count(1)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(chips.first).to_be_focused()


def test_follow_up_sends_history_and_conversation_survives_reload(page: Any) -> None:
    bodies = ask_requests(page)
    first = ask(page, NATO)
    first_answer = first.locator(".answer-text").text_content()
    ask(page, "Vad säger den om EU?")
    assert bodies[0]["history"] == []
    user, assistant = bodies[1]["history"]
    assert user == {"role": "user", "content": NATO}
    assert assistant["role"] == "assistant" and "[" in assistant["content"]
    # The chips show "n" where the answer text has "[n]".
    assert re.sub(r"\[(\d+)\]", r"\1", assistant["content"]) == first_answer
    page.reload()
    expect(page.locator(".turn")).to_have_count(2)
    expect(page.locator(".answer-text").first).to_have_text(first_answer)
    ask(page, "Och om Norden?")
    assert len(bodies[2]["history"]) == 4, "the restored conversation is still sent"

    page.get_by_role("button", name="Ny konversation").click()
    expect(page.locator(".turn")).to_have_count(0)
    expect(page.locator("#intro")).to_be_visible()
    page.reload()
    expect(page.locator("#intro")).to_be_visible()
    expect(page.locator(".turn")).to_have_count(0)


def test_feedback_is_stored_and_exported(page: Any, service: str) -> None:
    answer = ask(page, "Hur många förtroendeskapande åtgärder har OSSE antagit?")
    answer.get_by_role("button", name="Dåligt svar").click()
    comment = answer.get_by_label("kommentar (valfri)")
    expect(comment).to_be_focused()
    comment.fill("Svaret borde nämna året.")
    with page.expect_response("**/feedback") as response_info:
        answer.get_by_role("button", name="Skicka omdöme").click()
    assert response_info.value.status == 201
    expect(answer.locator(".feedback-status")).to_contain_text("Tack")
    expect(answer.get_by_role("button", name="Dåligt svar")).to_have_attribute(
        "aria-pressed", "true"
    )
    rows = [json.loads(line) for line in httpx.get(f"{service}/feedback/export").text.splitlines()]
    row = next(r for r in rows if r["comment"] == "Svaret borde nämna året.")
    assert row["rating"] == "down" and row["backend"] == "extractive"
    assert row["question"].startswith("Hur många förtroendeskapande")
    assert "[" in row["answer"] and row["citations"] and row["citations"][0]["chunk_id"]
    csv_text = httpx.get(f"{service}/feedback/export?format=csv").text
    assert "Svaret borde nämna året." in csv_text
    page.reload()
    expect(page.get_by_role("button", name="Dåligt svar")).to_be_disabled()


def test_copy_puts_answer_and_sources_on_the_clipboard(page: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    answer = ask(page, NATO)
    answer.get_by_role("button", name="Kopiera").click()
    expect(answer.get_by_role("button", name="Kopierat")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    text, sources = copied.split("\n\nKällor:\n")
    assert re.sub(r"\[(\d+)\]", r"\1", text) == answer.locator(".answer-text").text_content()
    assert sources.startswith("[") and "Strategi för Sveriges" in sources and "sidan" in sources


def _focused(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => {
          const e = document.activeElement;
          return {id: e.id, cls: e.className, text: e.textContent.trim(),
                  outline: getComputedStyle(e).outlineStyle};
        }"""
    )


def _tab_until(page: Any, predicate: Any, limit: int = 40) -> dict[str, str]:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if predicate(focused):
            return focused
    raise AssertionError("never reached the element with Tab")


def test_keyboard_only(page: Any) -> None:
    page.keyboard.type("Vilka fokusområden har strategin för handel?")
    page.keyboard.press("Enter")
    expect(page.locator(".answer")).to_have_class(DONE, timeout=30_000)
    expect(page.locator("#question")).to_be_focused()

    chip = _tab_until(page, lambda f: f["cls"] == "chip")
    assert chip["outline"] == "solid", "focus is visible"
    page.keyboard.press("Enter")
    expect(page.locator("mark.cited")).to_have_count(1)
    expect(page.locator("#panel-title")).to_be_focused()
    _tab_until(page, lambda f: f["id"] == "panel-next", limit=5)
    page.keyboard.press("Enter")
    expect(page.locator("#panel-kind")).to_contain_text("Närliggande")
    page.keyboard.press("Escape")
    expect(page.locator("#panel")).to_be_hidden()
    assert _focused(page)["cls"] == "chip"

    _tab_until(page, lambda f: "thumb-up" in f["cls"])
    page.keyboard.press("Enter")
    page.keyboard.type("Bra!")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".feedback-status")).to_contain_text("Tack")
    # Shift+Enter makes a new line instead of sending.
    page.locator("#question").focus()
    page.keyboard.type("rad ett")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("rad två")
    expect(page.locator("#question")).to_have_value("rad ett\nrad två")
    expect(page.locator(".turn")).to_have_count(1)
