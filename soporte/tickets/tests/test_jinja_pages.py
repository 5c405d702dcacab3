"""The Jinja2 pages (queues, a ticket's page) look and speak like the rest of the desk."""

from __future__ import annotations

import re

import pytest


def _chrome(html: str) -> str:
    """The layout around the content, without what differs between two renders."""
    head = html[: html.index('<main class="container">')]
    head = re.sub(r"<title>.*?</title>", "", head, flags=re.S)
    head = re.sub(r"<style>.*?</style>", "", head, flags=re.S)
    foot = html[html.index("<footer") : html.index("</footer>")]
    chrome = head + foot
    chrome = re.sub(r'value="[A-Za-z0-9]{64}"', 'value="csrf"', chrome)
    chrome = re.sub(r'"X-CSRFToken": "[A-Za-z0-9]{64}"', '"X-CSRFToken": "csrf"', chrome)
    chrome = re.sub(r'name="next" type="hidden" value="[^"]*"', 'name="next"', chrome)
    chrome = re.sub(r"\d{1,2}:\d{2}", "HH:MM", chrome)  # the desk's clock in the footer
    return " ".join(chrome.split())


@pytest.mark.parametrize("who", ["agent", "supervisor", "admin"])
@pytest.mark.parametrize("language", ["es", "en"])
def test_jinja_layout_matches_base(personas, who, language):
    """tickets/_layout.html is a copy of base.html: the menu, language switch and footer of a
    queue page are those of a page rendered by Django's templates."""
    client = personas.client(who)
    client.cookies["django_language"] = language
    dtl = client.get("/tickets/nuevo/").content.decode()
    jinja = client.get("/tickets/?cola=todos").content.decode()
    assert _chrome(jinja) == _chrome(dtl)


def test_queue_speaks_english_when_switched(personas, ticket):
    client = personas.client("agent")
    client.cookies["django_language"] = "en"
    page = client.get("/tickets/?cola=todos").content.decode()
    assert ticket.folio in page
    assert "Filtros y orden" not in page


def test_each_language_gets_its_own_compiled_pages(personas, ticket):
    """Phrases are translated when a template is compiled, once per language: switching
    back and forth in one process never serves one language's page in the other."""
    spanish, english = personas.client("agent"), personas.client("agent")
    english.cookies["django_language"] = "en"
    for _round in range(2):
        for client, shown, hidden in (
            (spanish, "Filtros y orden", "Filters and sorting"),
            (english, "Filters and sorting", "Filtros y orden"),
        ):
            for path in ("/tickets/?cola=todos", f"/tickets/{ticket.number}/"):
                page = client.get(path).content.decode()
                assert hidden not in page, (path, shown)
            queue = client.get("/tickets/?cola=todos").content.decode()
            assert shown in queue


def test_the_ticket_page_keeps_everything_an_agent_works_with(personas, ticket, now):
    """Rendered by Jinja2 with hand-written controls: the same content and actions."""
    from soporte.directory.models import Agent
    from soporte.tickets import services
    from soporte.tickets.models import SlaPolicy

    SlaPolicy.objects.create(
        level=2,
        priority="normal",
        first_response_minutes=60,
        next_update_minutes=120,
        resolution_minutes=480,
    )
    services.add_note(
        ticket=ticket,
        author=personas.customer_a,
        body="Sigue la luz ámbar",
        internal=False,
        now=now,
    )
    services.escalate_ticket(
        ticket=ticket,
        actor=personas.agent,
        to_level=2,
        to_area=None,
        customer_name="Roberto Sánchez",
        reason="Tóner original y sigue la luz ámbar",
        tried="Reinicio y limpieza del rodillo",
        now=now,
    )
    me = Agent.objects.get(user=personas.agent)

    html = personas.client("supervisor").get(f"/tickets/{ticket.number}/").content.decode()

    assert "Nota de traspaso" in html and "Reinicio y limpieza del rodillo" in html
    assert "Sigue la luz ámbar" in html and "from-customer" in html
    assert "Primera respuesta" in html and "data-due=" in html  # the SLA clock and countdown
    assert 'id="sla-labels"' in html
    assert 'name="to_status" value="cancelled"' in html  # status actions
    assert f'<option value="{me.pk}">Blanca Herrera · N1 · ' in html  # assign to an agent
    assert (
        '<label for="id_body">Nota <span class="required-mark" aria-hidden="true">*</span></label>'
        in html
    )
    assert 'name="uploads" multiple' in html
    for field in ("to_level", "to_area", "customer_name", "reason", "tried"):  # escalation
        assert f'name="{field}"' in html, field
    assert '<option value="3" selected>' in html  # escalates one level up by default


def test_a_refused_escalation_keeps_the_text_escaped(personas, ticket):
    response = personas.client("agent").post(
        f"/tickets/{ticket.number}/escalar/",
        {"to_level": "2", "customer_name": "<b>Roberto</b>", "reason": "x", "tried": ""},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;b&gt;Roberto&lt;/b&gt;" in html
    assert "<b>Roberto</b>" not in html
    assert 'aria-invalid="true"' in html
    assert "<details open>" in html


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_short_date_reads_as_djangos_date_filter(language):
    """Pages print "23 Nov 2026, 10:30" without Django's general formatter: the same text,
    in both languages, every month, across midnight and the turn of the year at the desk."""
    import datetime as dt

    from django.utils import formats, timezone, translation

    from soporte.tickets import jinja

    start = dt.datetime(2025, 12, 31, 5, 59, 30, tzinfo=dt.UTC)  # 23:59 the day before, locally
    moments = [start + dt.timedelta(days=31 * i, minutes=7 * i) for i in range(14)]
    with translation.override(language):
        for moment in moments:
            expected = formats.date_format(timezone.localtime(moment), "j M Y, H:i")
            assert jinja.date(moment) == expected
            # The machine-readable twin in <time datetime="…">: Django's date:"c".
            assert jinja.iso(moment) == formats.date_format(timezone.localtime(moment), "c")
    assert jinja.date(None) == ""
    assert jinja.iso(None) == ""


@pytest.mark.parametrize("language", ["es", "en"])
def test_labels_read_as_djangos_display_methods(language):
    """The ticket page prints a field's label through `display()`, translated once per process:
    every choice of every field it prints reads as `get_<field>_display()`, in both languages,
    and a value outside the choices prints as itself, as Django's does."""
    from django.utils import translation

    from soporte.logbook.models import Entry
    from soporte.tickets import jinja
    from soporte.tickets.models import Ticket

    printed = {
        Ticket: ["status", "priority", "channel", "direction", "support_kind", "approval"],
        Entry: ["kind"],
    }
    with translation.override(language):
        for model, names in printed.items():
            for name in names:
                for value, _label in model._meta.get_field(name).flatchoices:
                    obj = model(**{name: value})
                    assert jinja.display(obj, name) == getattr(obj, f"get_{name}_display")()
        stray = Ticket(status="archivado")
        assert jinja.display(stray, "status") == stray.get_status_display() == "archivado"
    with translation.override("en"):
        assert jinja.display(Ticket(status="new"), "status") == "New"
    with translation.override("es"):
        assert jinja.display(Ticket(status="new"), "status") == "Nuevo"


def test_ticket_pages_link_their_stylesheet_and_it_is_served(personas, ticket):
    """The tickets' styles are a static file the browser keeps (they were 14 KB inlined in
    every queue and ticket page): each page links it, and it is served as CSS."""
    agent = personas.client("agent")
    customer = personas.client("customer_a")
    pages = [
        agent.get("/tickets/"),
        agent.get(f"/tickets/{ticket.number}/"),
        agent.get("/tickets/nuevo/"),
        customer.get("/tickets/mis-solicitudes/"),
        customer.get(f"/tickets/mis-solicitudes/{ticket.number}/"),
        customer.get("/tickets/mis-solicitudes/nueva/"),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert '<link rel="stylesheet" href="/static/soporte/tickets.css">' in html
        assert "<style>" not in html
    css = agent.get("/static/soporte/tickets.css")
    assert css.status_code == 200
    assert css["Content-Type"].startswith("text/css")
    assert b".ticket-layout" in b"".join(css.streaming_content)
