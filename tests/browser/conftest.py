"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Never downloads a browser: it launches /usr/bin/chromium (`apt-get install chromium`).
Without it the browser tests are skipped on a laptop and fail in CI (CI=true).

Everything is function-scoped on purpose. While Playwright's sync API is started, asyncio
believes an event loop is running in the main thread, so on the same xdist worker a later
test's `asyncio.run()` would refuse to start and Django would refuse ORM calls. Starting and
stopping it around each browser test (about half a second) keeps that state inside the test;
DJANGO_ALLOW_ASYNC_UNSAFE is set only for the same span, for the test's own ORM calls.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = "Chromium not installed (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI requires the browser tests to run", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def browser(transactional_db, monkeypatch) -> Iterator[Browser]:
    # transactional_db first: the live server's thread must see what the test writes, and
    # the database is flushed only after the browser is gone.
    _require_chromium()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(browser: Browser, live_server) -> Iterator[Page]:
    """A fresh page (own cookies) on the live server; `page.goto("/entrar/")` works."""
    context = browser.new_context(base_url=live_server.url, locale="es-MX")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
