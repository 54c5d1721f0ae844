"""Browser fixtures: the real service in a subprocess and Debian's headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from app.settings import Settings
from tests.ui.support import CHROMIUM, CHROMIUM_ARGS, DESKTOP, run_service


@pytest.fixture(scope="session")
def service(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("ui-data")
    with run_service(settings.store_dir, settings.corpus_dir, data_dir) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; run `make setup-browser`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, service: str) -> Iterator[Any]:
    """A fresh desktop page on the service, failing the test on any script error."""
    context = browser.new_context(viewport=DESKTOP, base_url=service)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The page must run under its own CSP: a violation is logged as a console error.
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.goto("/")
    yield page
    context.close()
    assert not errors, f"script errors or CSP violations on the page: {errors}"
