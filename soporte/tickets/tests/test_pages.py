"""The tickets' pages: who may open what, and what a person notices when using them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from soporte.directory.models import Agent, ContactRole, Person
from soporte.lib import clock
from soporte.logbook.models import Entry
from soporte.tickets import attachments, services
from soporte.tickets.models import (
    AUXILIARY_WARNING,
    Approval,
    Attachment,
    Channel,
    Note,
    SlaPolicy,
    Status,
    Survey,
    Ticket,
)
from soporte.tickets.views.display import countdown_text

LATER = dt.timedelta(minutes=10)


@pytest.fixture(autouse=True)
def desk_clock(monkeypatch, now):
    """Pages read the clock once per request; here it is ten minutes after the ticket opened."""
    monkeypatch.setattr(clock, "now", lambda: now + LATER)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def policy(db):
    return SlaPolicy.objects.create(
        level=1,
        priority="normal",
        first_response_minutes=60,
        next_update_minutes=240,
        resolution_minutes=8 * 60,
    )


def open_ticket(personas, now, *, org="a", subject="Equipo lento", **extra):
    return services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_a if org == "a" else personas.org_b,
            requester=personas.person_a if org == "a" else personas.person_b,
            subject=subject,
            description=extra.pop("description", "Tarda en iniciar sesión."),
            channel=extra.pop("channel", Channel.PHONE),
            **extra,
        ),
        now=now,
    )


@pytest.fixture
def ticket_b(personas, now):
    return open_ticket(personas, now, org="b", subject="Recetas que no imprimen")


def attach(ticket, user, now, *, note=None, name="captura.txt", data=b"hola"):
    return attachments.store(
        ticket=ticket,
        uploaded_by=user,
        name=name,
        data=data,
        content_type="text/plain",
        now=now,
        note=note,
    )


def agent_of(user) -> Agent:
    return Agent.objects.get(user=user)


# --- access -------------------------------------------------------------------------------

STAFF_GETS = ["/tickets/", "/tickets/nuevo/", "/tickets/{n}/"]
STAFF_POSTS = [
    "/tickets/nuevo/",
    "/tickets/asignar/",
    "/tickets/{n}/estado/",
    "/tickets/{n}/asignar/",
    "/tickets/{n}/prioridad/",
    "/tickets/{n}/escalar/",
    "/tickets/{n}/notas/",
]
PORTAL_TICKET_GETS = ["/tickets/mis-solicitudes/{n}/", "/tickets/{n}/adjuntos/{a}/"]
PORTAL_TICKET_POSTS = [
    "/tickets/mis-solicitudes/{n}/responder/",
    "/tickets/mis-solicitudes/{n}/aprobacion/",
    "/tickets/mis-solicitudes/{n}/encuesta/",
]
POST_BODY = {
    "to_status": "cancelled",
    "body": "hola",
    "to_level": "2",
    "customer_name": "x",
    "reason": "x",
    "tried": "x",
    "decision": "approve",
    "satisfaction": "5",
    "resolved": "yes",
    "priority": "urgent",
}


def url(template, ticket, attachment=None):
    return template.format(n=ticket.number, a=attachment.pk if attachment else 0)


@pytest.mark.parametrize(
    "path",
    STAFF_GETS
    + PORTAL_TICKET_GETS
    + ["/tickets/mis-solicitudes/", "/tickets/mis-solicitudes/nueva/"],
)
def test_anonymous_is_sent_to_log_in(personas, ticket, now, path):
    attachment = attach(ticket, personas.agent, now)
    response = personas.client("anonymous").get(url(path, ticket, attachment))
    assert response.status_code == 302
    assert response["Location"].startswith("/entrar/?next=")


@pytest.mark.parametrize(
    "path", STAFF_POSTS + PORTAL_TICKET_POSTS + ["/tickets/mis-solicitudes/nueva/"]
)
def test_anonymous_posts_are_sent_to_log_in(personas, ticket, path):
    response = personas.client("anonymous").post(url(path, ticket), POST_BODY)
    assert response.status_code == 302
    assert response["Location"].startswith("/entrar/?next=")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


@pytest.mark.parametrize("path", STAFF_GETS)
def test_customers_get_403_on_the_desk_pages_even_for_their_own_ticket(personas, ticket, path):
    response = personas.client("customer_a").get(url(path, ticket))
    assert response.status_code == 403


@pytest.mark.parametrize("path", STAFF_POSTS)
def test_customers_cannot_post_to_the_desk_pages(personas, ticket, path):
    response = personas.client("customer_a").post(url(path, ticket), POST_BODY)
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
    assert Ticket.objects.get(pk=ticket.pk).priority == "normal"
    assert not Note.objects.exists()


@pytest.mark.parametrize("path", PORTAL_TICKET_GETS)
def test_customer_a_gets_404_for_organisation_b_pages_and_files(personas, ticket_b, now, path):
    attachment = attach(ticket_b, personas.agent, now)
    response = personas.client("customer_a").get(url(path, ticket_b, attachment))
    assert response.status_code == 404


@pytest.mark.parametrize("path", PORTAL_TICKET_POSTS)
def test_customer_a_gets_404_posting_to_organisation_b(personas, ticket_b, path):
    response = personas.client("customer_a").post(url(path, ticket_b), POST_BODY)
    assert response.status_code == 404
    assert not Note.objects.filter(ticket=ticket_b).exists()


def test_customer_b_gets_404_for_organisation_a(personas, ticket):
    response = personas.client("customer_b").get(f"/tickets/mis-solicitudes/{ticket.number}/")
    assert response.status_code == 404


def test_an_attachment_of_another_ticket_is_404_even_for_staff(personas, ticket, ticket_b, now):
    other = attach(ticket_b, personas.agent, now)
    response = personas.client("agent").get(f"/tickets/{ticket.number}/adjuntos/{other.pk}/")
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["agent", "supervisor", "admin"])
def test_staff_open_the_desk_pages(personas, ticket, who):
    client = personas.client(who)
    for path in STAFF_GETS:
        assert client.get(url(path, ticket)).status_code == 200, path


def test_staff_are_sent_from_the_portal_to_the_desk_pages(personas, ticket):
    client = personas.client("agent")
    assert client.get("/tickets/mis-solicitudes/")["Location"] == "/tickets/"
    assert client.get("/tickets/mis-solicitudes/nueva/")["Location"] == "/tickets/nuevo/"
    detail = client.get(f"/tickets/mis-solicitudes/{ticket.number}/")
    assert detail["Location"] == f"/tickets/{ticket.number}/"


@pytest.mark.parametrize("path", PORTAL_TICKET_POSTS)
def test_staff_cannot_post_as_a_customer(personas, ticket, path):
    response = personas.client("agent").post(url(path, ticket), POST_BODY)
    assert response.status_code == 403
    assert not Note.objects.exists()


def test_customers_see_only_their_organisation_in_the_portal(personas, ticket, ticket_b):
    page = personas.client("customer_a").get("/tickets/mis-solicitudes/").content.decode()
    assert ticket.folio in page
    assert ticket_b.folio not in page


def test_customers_never_see_internal_notes_nor_their_files(personas, ticket, now):
    secret = services.add_note(
        ticket=ticket,
        author=personas.agent,
        body="Cliente moroso, no prometer",
        internal=True,
        now=now,
    )
    public = services.add_note(
        ticket=ticket, author=personas.agent, body="Vamos en camino", now=now
    )
    secret_file = attach(ticket, personas.agent, now, note=secret, name="interno.txt")
    public_file = attach(ticket, personas.agent, now, note=public, name="guia.txt")
    client = personas.client("customer_a")

    page = client.get(f"/tickets/mis-solicitudes/{ticket.number}/").content.decode()

    assert "Vamos en camino" in page
    assert "guia.txt" in page
    assert "Cliente moroso" not in page
    assert "interno.txt" not in page
    assert client.get(f"/tickets/{ticket.number}/adjuntos/{secret_file.pk}/").status_code == 404
    assert client.get(f"/tickets/{ticket.number}/adjuntos/{public_file.pk}/").status_code == 200
    staff = personas.client("agent")
    assert staff.get(f"/tickets/{ticket.number}/adjuntos/{secret_file.pk}/").status_code == 200


def test_attachments_always_download_never_render(personas, ticket, now):
    file = attach(ticket, personas.agent, now, name="pagina.html", data=b"<script>x</script>")
    response = personas.client("customer_a").get(f"/tickets/{ticket.number}/adjuntos/{file.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"<script>x</script>"


# --- the agent's queues -------------------------------------------------------------------


def test_queue_row_shows_what_an_agent_needs_and_a_live_countdown(personas, ticket, policy):
    services.assign_ticket(
        ticket=ticket, actor=personas.agent, agent=agent_of(personas.agent), now=ticket.created_at
    )

    page = personas.client("agent").get("/tickets/?cola=mis-tickets").content.decode()

    for text in (
        ticket.folio,
        ticket.subject,
        "Ferretería Anáhuac",
        "N1",
        "Normal",
        "Asignado",
        "Blanca Herrera",
        "Primera respuesta",
    ):
        assert text in page, text
    # Opened 10:30 with one business hour to answer; the page is read at 10:40.
    assert "vence en 50 min" in page
    assert 'data-due="2026-11-23T11:30:00-06:00"' in page
    assert "soporte/tickets.js" in page


def test_countdown_words():
    start = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
    assert countdown_text(start + dt.timedelta(hours=1, minutes=20), start) == "vence en 1 h 20 min"
    assert countdown_text(start - dt.timedelta(minutes=5), start) == "vencido hace 5 min"
    assert countdown_text(start + dt.timedelta(days=2, hours=3), start) == "vence en 2 d 3 h"
    assert countdown_text(start + dt.timedelta(seconds=40), start) == "vence en 40 s"


def test_a_ticket_waiting_for_the_customer_shows_its_clock_paused(personas, ticket, policy, now):
    me = agent_of(personas.agent)
    services.assign_ticket(ticket=ticket, actor=personas.agent, agent=me, now=now)
    services.change_status(
        ticket=ticket, actor=personas.agent, to_status=Status.WAITING_CUSTOMER, now=now
    )
    page = personas.client("agent").get("/tickets/?cola=mis-tickets").content.decode()
    assert "en pausa" in page
    assert "data-due" not in page


@pytest.mark.parametrize(
    ("minutes_later", "css", "words"),
    [
        (10, "sla-ok", "vence en 50 min"),
        (50, "sla-warning", "vence en 10 min"),
        (75, "sla-breached", "vencido hace 15 min"),
    ],
)
def test_a_queue_row_turns_due_then_overdue_as_time_passes(
    personas, ticket, policy, now, monkeypatch, minutes_later, css, words
):
    """Nothing is written between the page views: the row's state follows the clock."""
    services.assign_ticket(
        ticket=ticket, actor=personas.agent, agent=agent_of(personas.agent), now=now
    )
    monkeypatch.setattr(clock, "now", lambda: now + dt.timedelta(minutes=minutes_later))
    page = personas.client("agent").get("/tickets/?cola=mis-tickets").content.decode()
    row = page[page.index(f'data-ticket="{ticket.folio}"') :]
    row = row[: row.index("</tr>")]
    assert f"sla {css}" in row and words in row


def test_a_new_policy_reaches_the_queue_after_the_sweep(personas, ticket, now):
    """No policy when the ticket opened: no clock. A supervisor adds one; the next sweep
    (a minute at most) gives the row its countdown."""
    page = personas.client("agent").get("/tickets/?cola=todos").content.decode()
    assert "data-due" not in page
    SlaPolicy.objects.create(
        level=1,
        priority="normal",
        first_response_minutes=60,
        next_update_minutes=240,
        resolution_minutes=480,
    )
    services.sweep_sla(now=now + LATER)
    page = personas.client("agent").get("/tickets/?cola=todos").content.decode()
    assert 'data-due="2026-11-23T11:30:00-06:00"' in page


def test_unassigned_tab_shows_my_levels_open_tickets_only(personas, now, ticket):
    mine = open_ticket(personas, now, subject="Ya asignado")
    services.assign_ticket(
        ticket=mine, actor=personas.agent, agent=agent_of(personas.agent), now=now
    )
    higher = open_ticket(personas, now, subject="Servidor caído", level=4)

    page = personas.client("agent").get("/tickets/?cola=sin-asignar").content.decode()

    assert ticket.folio in page
    assert mine.folio not in page
    assert higher.folio not in page


def test_next_page_follows_the_cursor_without_repeating(personas, now):
    tickets = [
        open_ticket(personas, now + dt.timedelta(minutes=i), subject=f"Caso {i}") for i in range(27)
    ]
    client = personas.client("agent")

    first = client.get("/tickets/?cola=todos")
    assert first.status_code == 200
    html = first.content.decode()
    first_page = re.findall(r'<tr data-ticket="([^"]+)"', html)
    assert len(first_page) == 25
    assert first_page[0] == tickets[-1].folio  # newest activity first
    assert "Siguiente página" in html
    next_url = re.search(r'href="(/tickets/\?[^"]*despues=[^"]*)"', html).group(1)

    second = client.get(next_url.replace("&amp;", "&")).content.decode()
    second_page = re.findall(r'<tr data-ticket="([^"]+)"', second)
    assert second_page == [tickets[1].folio, tickets[0].folio]
    assert "Siguiente página" not in second


def test_after_a_refused_bulk_assignment_the_queue_links_still_lead_to_the_queue(personas, ticket):
    """The refusal is shown at the bulk-assign address (POST only): every tab and "back"
    link must point at the queue itself, not at a relative "?cola=…" of that address."""
    client = personas.client("agent")
    refused = client.post("/tickets/asignar/?cola=sin-asignar", {"agent": ""})
    assert refused.status_code == 200
    html = refused.content.decode()
    links = re.findall(r'href="([^"]*cola=[^"]*)"', html)
    assert links
    assert all(link.startswith("/tickets/?") for link in links), links
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_filters_come_from_the_allow_list(personas, now):
    urgent = open_ticket(personas, now, subject="Sin internet", priority="urgent")
    calm = open_ticket(personas, now, subject="Cambiar tóner")
    client = personas.client("agent")

    page = client.get("/tickets/?cola=todos&prioridad=urgent").content.decode()
    assert urgent.folio in page
    assert calm.folio not in page
    # Unknown values and sorts are ignored, never passed to the database.
    assert client.get("/tickets/?cola=x&orden=password&prioridad=;drop").status_code == 200


def test_search_without_accents_finds_accented_words(personas, now):
    printer = open_ticket(
        personas, now, subject="Falla de impresión en almacén", description="Hojas en blanco."
    )
    other = open_ticket(personas, now, subject="Equipo lento")

    page = personas.client("agent").get("/tickets/?q=impresion").content.decode()

    assert printer.folio in page
    assert other.folio not in page
    assert "1 resultado para «impresion»" in page


def test_search_as_you_type_returns_only_the_results(personas, now):
    printer = open_ticket(personas, now, subject="Falla de impresión")
    response = personas.client("agent").get("/tickets/?q=impresion", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert printer.folio in html
    assert '<section id="results"' in html
    assert "<html" not in html


def test_bulk_assign_assigns_every_checked_ticket(personas, now):
    one = open_ticket(personas, now, subject="Uno")
    two = open_ticket(personas, now, subject="Dos")
    untouched = open_ticket(personas, now, subject="Tres")
    blanca = agent_of(personas.agent)

    response = personas.client("supervisor").post(
        "/tickets/asignar/?cola=todos", {"tickets": [one.pk, two.pk], "agent": blanca.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == "/tickets/?cola=todos"
    assert {t.assignee_id for t in Ticket.objects.filter(pk__in=[one.pk, two.pk])} == {blanca.pk}
    assert Ticket.objects.get(pk=untouched.pk).assignee_id is None


def test_bulk_assign_is_all_or_nothing_and_keeps_the_selection(personas, now):
    easy = open_ticket(personas, now, subject="Ratón")
    hard = open_ticket(personas, now, subject="Servidor", level=3)
    blanca = agent_of(personas.agent)  # level 1

    response = personas.client("supervisor").post(
        "/tickets/asignar/?cola=todos", {"tickets": [easy.pk, hard.pk], "agent": blanca.pk}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "es de nivel 1 y el ticket es de nivel 3" in html
    assert "No se asignó ningún ticket." in html
    assert not Ticket.objects.filter(assignee__isnull=False).exists()
    assert f'value="{easy.pk}" checked' in html
    assert f'value="{hard.pk}" checked' in html
    assert f'<option value="{blanca.pk}" selected>' in html


def test_bulk_assign_asks_for_an_agent(personas, ticket):
    response = personas.client("agent").post("/tickets/asignar/", {"tickets": [ticket.pk]})
    assert response.status_code == 200
    assert "Elija a quién asignar." in response.content.decode()


# --- a new ticket from the desk -----------------------------------------------------------


def new_ticket_form(personas, **changes):
    data = {
        "organisation": personas.org_a.pk,
        "requester": personas.person_a.pk,
        "decision_maker": "",
        "channel": "phone",
        "direction": "reactive",
        "support_kind": "distance",
        "level": "1",
        "area": "",
        "priority": "high",
        "subject": "No enciende el monitor de caja",
        "description": "Desde la mañana la pantalla queda en negro.",
        "equipment": "Dell P2419H",
    }
    data.update(changes)
    return data


def test_agent_opens_a_ticket(personas):
    response = personas.client("agent").post("/tickets/nuevo/", new_ticket_form(personas))
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert (ticket.priority, ticket.equipment, ticket.channel) == ("high", "Dell P2419H", "phone")


def test_a_refused_ticket_keeps_everything_typed(personas):
    form = new_ticket_form(personas, support_kind="remote_access", remote_tool="RustDesk")

    response = personas.client("agent").post("/tickets/nuevo/", form)

    html = response.content.decode()
    assert response.status_code == 200
    # The missing session id is marked at its field (the tool was given).
    assert 'id="id_remote_session_id_error"' in html
    assert 'id="id_remote_tool_error"' not in html
    assert 'value="No enciende el monitor de caja"' in html
    assert "Desde la mañana la pantalla queda en negro." in html
    assert 'value="RustDesk"' in html
    assert '<option value="remote_access" selected>' in html
    assert f'<option value="{personas.person_a.pk}" selected>' in html
    assert not Ticket.objects.exists()


def test_auxiliary_support_requires_the_acknowledgement(personas):
    client = personas.client("agent")
    refused = client.post("/tickets/nuevo/", new_ticket_form(personas, support_kind="auxiliary"))
    html = refused.content.decode()
    assert str(AUXILIARY_WARNING) in html
    assert "Marque la casilla: el cliente debe darse por enterado" in html
    assert not Ticket.objects.exists()

    client.post(
        "/tickets/nuevo/",
        new_ticket_form(personas, support_kind="auxiliary", auxiliary_acknowledged="on"),
    )
    assert Ticket.objects.get().auxiliary_acknowledged_at is not None


def test_the_form_offers_only_the_chosen_organisations_people(personas):
    client = personas.client("agent")
    partial = client.get(
        f"/tickets/nuevo/?organisation={personas.org_b.pk}", headers={"HX-Request": "true"}
    ).content.decode()
    assert personas.person_b.full_name in partial
    assert personas.person_a.full_name not in partial
    assert "<html" not in partial
    # A requester of another organisation is refused, with the form kept.
    response = client.post(
        "/tickets/nuevo/", new_ticket_form(personas, requester=personas.person_b.pk)
    )
    assert response.status_code == 200
    assert not Ticket.objects.exists()


# --- one ticket at the desk ---------------------------------------------------------------


def test_the_handoff_note_comes_first(personas, ticket, now, make_agent):
    make_agent("maria.lopez", level=2, first_name="María", last_name="López")
    services.escalate_ticket(
        ticket=ticket,
        actor=personas.agent,
        to_level=2,
        to_area=None,
        customer_name="Roberto Sánchez",
        reason="El tóner es original y sigue la luz ámbar",
        tried="Reinicio, limpieza del rodillo y prueba de impresión",
        now=now,
    )

    html = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()

    handoff = html.index("Nota de traspaso")
    for later in ("Descripción", "Muestra luz ámbar", "Conversación y notas", "Datos"):
        assert handoff < html.index(later), later
    assert "Roberto Sánchez" in html
    assert "Reinicio, limpieza del rodillo" in html
    assert "Nivel 1 → nivel 2" in html
    assert "María López" in html


def test_status_buttons_offer_only_the_legal_moves(personas, ticket):
    html = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()
    assert 'value="cancelled"' in html
    assert 'value="resolved"' not in html
    assert 'value="closed"' not in html


def test_changing_status_and_an_illegal_move(personas, ticket):
    client = personas.client("agent")
    client.post(f"/tickets/{ticket.number}/asignar/", {"agent": agent_of(personas.agent).pk})
    moved = client.post(f"/tickets/{ticket.number}/estado/", {"to_status": "in_progress"})
    assert moved.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS

    refused = client.post(f"/tickets/{ticket.number}/estado/", {"to_status": "closed"})

    assert refused.status_code == 200
    assert "No se puede pasar de «En progreso» a «Cerrado»." in refused.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.IN_PROGRESS


def test_escalating_needs_the_whole_handoff_and_keeps_what_was_typed(personas, ticket):
    client = personas.client("agent")
    refused = client.post(
        f"/tickets/{ticket.number}/escalar/",
        {
            "to_level": "2",
            "customer_name": personas.person_a.full_name,
            "reason": "Falla del fusor",
        },
    )
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Falla del fusor" in html
    assert "<details open>" in html
    assert not ticket.escalations.exists()

    done = client.post(
        f"/tickets/{ticket.number}/escalar/",
        {
            "to_level": "2",
            "customer_name": personas.person_a.full_name,
            "reason": "Falla del fusor",
            "tried": "Reinicio",
        },
    )
    assert done.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).level == 2


def test_escalation_prefills_the_customers_name(personas, ticket):
    html = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()
    assert f'<option value="{personas.person_a.full_name}" selected>' in html


def test_the_handoffs_customer_is_picked_from_the_organisations_people(personas, ticket):
    """The name handed on is a pick (the requester or a colleague of theirs), never free
    text that could differ from the requester; the form keeps what was typed on a refusal."""
    colleague = Person.objects.create(organisation=personas.org_a, full_name="Lucía Ramos")
    Person.objects.create(organisation=personas.org_b, full_name="Otra Organización")
    client = personas.client("agent")
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    names = re.findall(
        r'<option value="([^"]*)"[^>]*>',
        html.split('name="customer_name"')[1].split("</select>")[0],
    )
    assert names == [personas.person_a.full_name, colleague.full_name]
    assert '<input type="text" name="customer_name"' not in html

    typed = client.post(
        f"/tickets/{ticket.number}/escalar/",
        {"to_level": "2", "customer_name": "Roberto S.", "reason": "Fusor", "tried": "Reinicio"},
    )
    assert typed.status_code == 200
    assert not ticket.escalations.exists()
    assert 'id="id_customer_name_error"' in typed.content.decode()

    picked = client.post(
        f"/tickets/{ticket.number}/escalar/",
        {"to_level": "2", "customer_name": "Lucía Ramos", "reason": "Fusor", "tried": "Reinicio"},
    )
    assert picked.status_code == 302
    assert ticket.escalations.get().customer_name == "Lucía Ramos"


def test_agent_answers_with_a_public_note_and_a_file(personas, ticket):
    upload = SimpleUploadedFile("pasos.txt", b"1. Apagar 2. Encender", content_type="text/plain")
    response = personas.client("agent").post(
        f"/tickets/{ticket.number}/notas/",
        {"body": "Siga estos pasos, por favor.", "internal": "", "uploads": [upload]},
    )
    note = Note.objects.get()
    assert response["Location"] == f"/tickets/{ticket.number}/#nota-{note.pk}"
    assert not note.internal
    assert note.attachments.get().original_name == "pasos.txt"
    portal = personas.client("customer_a").get(f"/tickets/mis-solicitudes/{ticket.number}/")
    assert "Siga estos pasos" in portal.content.decode()


def test_internal_notes_are_marked_at_the_desk(personas, ticket):
    personas.client("agent").post(
        f"/tickets/{ticket.number}/notas/", {"body": "Revisar garantía", "internal": "on"}
    )
    assert Note.objects.get().internal
    html = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()
    assert "Interna: el cliente no la ve" in html


def test_a_refused_upload_keeps_the_note_text_and_stores_nothing(personas, ticket, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_BYTES", 10)
    upload = SimpleUploadedFile("grande.bin", b"x" * 50)
    response = personas.client("agent").post(
        f"/tickets/{ticket.number}/notas/", {"body": "Adjunto el registro", "uploads": [upload]}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "pesa más de" in html
    assert "Adjunto el registro" in html
    assert not Note.objects.exists()
    assert not Attachment.objects.exists()


def test_the_ticket_page_shows_its_bitacora_timeline(personas, ticket):
    html = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()
    assert "Bitácora del ticket" in html
    assert f"Ticket {ticket.folio} abierto" in html


def test_the_ticket_page_shows_the_sla_clocks(personas, ticket, policy):
    html = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()
    assert "Primera respuesta" in html
    assert "Resolución" in html
    assert "10 de 60 min hábiles" in html


# --- the customer portal ------------------------------------------------------------------


def test_customer_opens_a_request_with_an_attachment(personas):
    upload = SimpleUploadedFile("error.png", b"\x89PNG fake", content_type="image/png")
    response = personas.client("customer_a").post(
        "/tickets/mis-solicitudes/nueva/",
        {
            "subject": "Outlook no abre",
            "description": "Dice que el perfil está dañado.",
            "equipment": "",
            "decision_maker": "",
            "uploads": [upload],
        },
    )
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/tickets/mis-solicitudes/{ticket.number}/"
    assert (ticket.channel, ticket.requester, ticket.organisation) == (
        Channel.PORTAL,
        personas.person_a,
        personas.org_a,
    )
    assert ticket.attachments.get().original_name == "error.png"
    assert any(
        "error.png · 9 B · SHA-256 " in e.fields.get("files", "")
        for e in Entry.objects.filter(subject_id=ticket.folio)
    )
    page = personas.client("customer_a").get(response["Location"]).content.decode()
    assert "Outlook no abre" in page
    assert "error.png" in page
    assert "Recibida" in page


def test_a_refused_request_keeps_what_the_customer_typed(personas, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_FILES_PER_UPLOAD", 1)
    files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(2)]
    response = personas.client("customer_a").post(
        "/tickets/mis-solicitudes/nueva/",
        {"subject": "Sin impresora", "description": "La de recepción", "uploads": files},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Se pueden adjuntar hasta 1 archivos a la vez." in html
    assert 'value="Sin impresora"' in html
    assert not Ticket.objects.exists()


def test_customer_replies_in_the_portal(personas, ticket):
    upload = SimpleUploadedFile("foto.jpg", b"jpeg", content_type="image/jpeg")
    response = personas.client("customer_a").post(
        f"/tickets/mis-solicitudes/{ticket.number}/responder/",
        {"body": "Ya lo reinicié y sigue igual.", "uploads": [upload]},
    )
    note = Note.objects.get()
    assert response["Location"] == f"/tickets/mis-solicitudes/{ticket.number}/#nota-{note.pk}"
    assert (note.author, note.internal) == (personas.customer_a, False)
    assert note.attachments.get().original_name == "foto.jpg"
    desk = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()
    assert "Ya lo reinicié y sigue igual." in desk


def test_an_empty_reply_is_refused(personas, ticket):
    response = personas.client("customer_a").post(
        f"/tickets/mis-solicitudes/{ticket.number}/responder/", {"body": "   "}
    )
    assert response.status_code == 200
    assert not Note.objects.exists()


@pytest.fixture
def chargeable(personas, now):
    return open_ticket(personas, now, subject="Cambio de disco duro", chargeable=True)


def test_the_decision_maker_approves_chargeable_work(personas, chargeable):
    client = personas.client("customer_a")  # requester and decision-maker (contact role both)
    page = client.get(f"/tickets/mis-solicitudes/{chargeable.number}/").content.decode()
    assert "requiere su aprobación" in page
    listing = client.get("/tickets/mis-solicitudes/").content.decode()
    assert "Requiere su aprobación" in listing

    response = client.post(
        f"/tickets/mis-solicitudes/{chargeable.number}/aprobacion/",
        {"decision": "approve", "comment": "Adelante"},
    )

    assert response.status_code == 302
    assert Ticket.objects.get(pk=chargeable.pk).approval == Approval.APPROVED
    after = client.get(f"/tickets/mis-solicitudes/{chargeable.number}/").content.decode()
    assert "Aprobado" in after


def test_a_requester_who_does_not_decide_cannot_approve(personas, now, make_customer):
    requester = make_customer("claudia.perez", personas.org_a, ContactRole.REQUESTER)
    ticket = services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_a,
            requester=requester.person,
            decision_maker=personas.person_a,
            subject="Licencias de Office",
            description="Cinco licencias",
            channel=Channel.PORTAL,
            chargeable=True,
        ),
        now=now,
    )
    client = personas.client("anonymous")
    client.force_login(requester)

    page = client.get(f"/tickets/mis-solicitudes/{ticket.number}/").content.decode()
    assert "lo aprueba Roberto" in page
    assert f"/tickets/mis-solicitudes/{ticket.number}/aprobacion/" not in page

    response = client.post(
        f"/tickets/mis-solicitudes/{ticket.number}/aprobacion/", {"decision": "approve"}
    )
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).approval == Approval.PENDING


def test_the_requester_answers_the_survey_once_resolved(personas, ticket, now):
    client = personas.client("customer_a")
    assert (
        "¿Cómo lo atendimos?"
        not in client.get(f"/tickets/mis-solicitudes/{ticket.number}/").content.decode()
    )
    services.assign_ticket(
        ticket=ticket, actor=personas.agent, agent=agent_of(personas.agent), now=now
    )
    services.change_status(ticket=ticket, actor=personas.agent, to_status=Status.RESOLVED, now=now)
    page = client.get(f"/tickets/mis-solicitudes/{ticket.number}/").content.decode()
    assert "¿Se resolvió su problema?" in page

    response = client.post(
        f"/tickets/mis-solicitudes/{ticket.number}/encuesta/",
        {"satisfaction": "4", "resolved": "yes", "comment": "Rápido"},
    )

    assert response.status_code == 302
    survey = Survey.objects.get()
    assert (survey.satisfaction, survey.resolved, survey.comment) == (4, True, "Rápido")
    after = client.get(f"/tickets/mis-solicitudes/{ticket.number}/").content.decode()
    assert "calificó la atención con 4 de 5" in after
    desk = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()
    assert "4 de 5" in desk


def test_an_incomplete_survey_keeps_the_answer(personas, ticket, now):
    services.assign_ticket(
        ticket=ticket, actor=personas.agent, agent=agent_of(personas.agent), now=now
    )
    services.change_status(ticket=ticket, actor=personas.agent, to_status=Status.RESOLVED, now=now)
    response = personas.client("customer_a").post(
        f"/tickets/mis-solicitudes/{ticket.number}/encuesta/",
        {"satisfaction": "2", "comment": "Tardaron"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Responda sí o no." in html
    assert re.search(r'value="2"[^>]*checked', html)
    assert "Tardaron" in html
    assert not Survey.objects.exists()


def test_the_portal_search_ignores_accents_and_other_organisations(personas, now):
    mine = open_ticket(personas, now, subject="Falla de impresión")
    theirs = open_ticket(personas, now, org="b", subject="Impresión de recetas")
    page = personas.client("customer_a").get("/tickets/mis-solicitudes/?q=impresion")
    html = page.content.decode()
    assert mine.folio in html
    assert theirs.folio not in html


def test_the_ticket_page_offers_only_actions_that_can_succeed(personas, ticket):
    """A new ticket nobody holds: no "mark assigned" or "work on it" button (they need an
    assignee); a level-1 agent is not offered to take a level-2 ticket."""
    client = personas.client("agent")
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert 'name="to_status" value="assigned"' not in page
    assert 'name="to_status" value="cancelled"' in page
    assert "Tomarlo yo" in page
    Ticket.objects.filter(pk=ticket.pk).update(level=2)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Tomarlo yo" not in page


def test_a_refused_form_sends_the_reader_to_its_message(personas, ticket):
    page = personas.client("agent").get(f"/tickets/{ticket.number}/").content.decode()
    assert f'action="/tickets/{ticket.number}/notas/#nueva-nota"' in page
    assert f'action="/tickets/{ticket.number}/escalar/#acciones"' in page
    assert 'id="nueva-nota"' in page
    assert 'id="acciones"' in page


def test_switching_language_on_a_refused_form_returns_to_the_ticket(personas, ticket):
    client = personas.client("agent")
    page_url = f"http://testserver/tickets/{ticket.number}/"
    refused = client.post(
        f"/tickets/{ticket.number}/escalar/",
        {"to_level": "2", "customer_name": "", "reason": "", "tried": ""},
        HTTP_REFERER=page_url,
    )
    assert refused.status_code == 200
    assert f'name="next" type="hidden" value="{page_url}"' in refused.content.decode()
    switched = client.post("/i18n/setlang/", {"language": "en", "next": page_url})
    assert switched.status_code == 302
    assert client.get(switched["Location"]).status_code == 200


def test_remote_access_fields_say_when_they_are_required_and_both_are_highlighted(personas):
    client = personas.client("agent")
    blank = client.get("/tickets/nuevo/").content.decode()
    assert blank.count("(obligatorio con acceso remoto)") == 2

    refused = client.post(
        "/tickets/nuevo/", new_ticket_form(personas, support_kind="remote_access")
    ).content.decode()

    assert 'id="id_remote_tool_error"' in refused
    assert 'id="id_remote_session_id_error"' in refused
    assert refused.count("Obligatorio con acceso remoto.") >= 2
    assert not Ticket.objects.exists()
