"""A customer starts a portal request, sees a suggested article while typing, opens it, marks
it useful and leaves without opening a ticket: a deflection."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from soporte.directory.models import ContactRole, Organisation
from soporte.knowledge import services
from soporte.knowledge.models import ArticleFeedback, ArticleStatus, Visibility
from soporte.tickets.models import Ticket
from tests.browser.test_portal_ticket import PHONE, horizontal_overflow, log_in, new_page

pytestmark = pytest.mark.browser


def test_a_suggested_article_answers_the_customer_before_a_ticket_is_opened(
    browser: Browser, live_server, make_agent, make_customer, password
):
    agent = make_agent("blanca.herrera", level=1, first_name="Blanca")
    org = Organisation.objects.create(name="Ferretería Anáhuac")
    make_customer("roberto.sanchez", org, ContactRole.BOTH)
    article = services.save_article(
        actor=agent.user,
        title="La impresora no imprime",
        body="1. Revise el papel.\n2. Apague la impresora 30 segundos.",
        visibility=Visibility.PUBLIC,
        status=ArticleStatus.PUBLISHED,
        now=timezone.now(),
    )
    services.save_article(
        actor=agent.user,
        title="Clave de la cola de impresión",
        body="Solo para la mesa.",
        visibility=Visibility.INTERNAL,
        status=ArticleStatus.PUBLISHED,
        now=timezone.now(),
    )

    page = new_page(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    log_in(page, "roberto.sanchez", password)
    page.goto("/tickets/mis-solicitudes/nueva/")
    page.get_by_label("Asunto").press_sequentially("no puedo imprimir", delay=20)
    suggestions = page.locator("#knowledge-suggestions")
    expect(suggestions).to_contain_text("La impresora no imprime")
    expect(suggestions).not_to_contain_text("Clave de la cola")
    assert horizontal_overflow(page) == 0

    with page.expect_popup() as opened:
        suggestions.get_by_role("link", name="La impresora no imprime").click()
    reader = opened.value
    expect(reader.get_by_role("heading", level=1)).to_have_text("La impresora no imprime")
    reader.get_by_role("button", name="Sí").click()
    expect(reader.get_by_role("status").first).to_contain_text("Nos alegra que le haya servido")
    expect(reader.locator("main")).to_contain_text("No hace falta abrir una solicitud.")
    reader.close()
    page.close()

    assert not Ticket.objects.exists()
    feedback = ArticleFeedback.objects.get(article=article)
    assert feedback.helpful and feedback.deflected
