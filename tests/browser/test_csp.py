"""Under the strict Content-Security-Policy the pages still work in Chromium: the language
switch (page.js, no inline handler) changes the language, and no page reports a violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_pages_work_under_the_csp_with_no_violation(browser_page: Page, make_agent, password):
    make_agent("gabriela.rios", first_name="Gabriela", last_name="Ríos")
    page = browser_page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/entrar/")
    page.locator("main form").get_by_label("Usuario").fill("gabriela.rios")
    page.locator("main form").get_by_label("Contraseña").fill(password)
    page.locator("main form").get_by_role("button", name="Entrar").click()
    for path in ["/tickets/", "/bitacora/", "/llamadas/consola/"]:
        page.goto(path)
        expect(page.locator("main h1").first).to_be_visible()
    # The language switch (a select with data-autosubmit, handled by page.js).
    page.goto("/bitacora/")
    page.locator("select[name=language]").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Logbooks")).to_be_visible()
    assert violations == []
