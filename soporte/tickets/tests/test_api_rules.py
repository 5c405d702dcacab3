"""The API keeps the rules the pages keep: what a customer may choose, who may decide, which
organisations and agents take tickets, finished tickets, the bitácora of uploaded files, and
errors always in the API's JSON shape."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from soporte.directory.models import ContactRole, Person
from soporte.logbook.models import Entry
from soporte.tickets import services
from soporte.tickets.models import Note, SlaPolicy, Status, Ticket


def post(client, path, data):
    return client.post(path, json.dumps(data), content_type="application/json")


def portal_request(personas, **overrides):
    return {
        "organisation_id": personas.org_a.pk,
        "requester_id": personas.person_a.pk,
        "subject": "Sin correo",
        "description": "Outlook no abre desde la mañana.",
        "channel": "portal",
        **overrides,
    }


def error_of(response) -> dict:
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"level": 4},
        {"priority": "urgent"},
        {"channel": "phone"},
        {"direction": "proactive"},
        {"support_kind": "remote_access", "remote_tool": "RustDesk", "remote_session_id": "1"},
        {"chargeable": True},
    ],
)
def test_a_customer_describes_the_problem_and_the_desk_classifies_it(personas, overrides):
    client = personas.client("customer_a")
    refused = post(client, "/api/v1/tickets", portal_request(personas, **overrides))
    assert refused.status_code == 403
    assert "los fija la mesa" in error_of(refused)["message"]
    assert not Ticket.objects.exists()
    # By e-mail or the portal, in their own words, it opens.
    for channel in ("portal", "email"):
        opened = post(client, "/api/v1/tickets", portal_request(personas, channel=channel))
        assert opened.status_code == 201, opened.json()
    assert Ticket.objects.count() == 2


def test_a_customer_opens_tickets_in_their_own_name_only(personas):
    colleague = Person.objects.create(organisation=personas.org_a, full_name="Tercera Persona")
    response = post(
        personas.client("customer_a"),
        "/api/v1/tickets",
        portal_request(personas, requester_id=colleague.pk),
    )
    assert response.status_code == 403
    assert "a su propio nombre" in error_of(response)["message"]
    assert not Ticket.objects.exists()


def test_the_decision_maker_must_be_someone_who_decides(personas):
    clerk = Person.objects.create(
        organisation=personas.org_a, full_name="Sin Firma", contact_role=ContactRole.REQUESTER
    )
    response = post(
        personas.client("agent"),
        "/api/v1/tickets",
        portal_request(personas, channel="phone", chargeable=True, decision_maker_id=clerk.pk),
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "not_a_decider"
    assert not Ticket.objects.exists()


def test_an_inactive_organisation_gets_no_new_tickets(personas):
    personas.org_a.is_active = False
    personas.org_a.save()
    response = post(
        personas.client("agent"), "/api/v1/tickets", portal_request(personas, channel="phone")
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "organisation_inactive"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("finished", [Status.CLOSED, Status.CANCELLED])
def test_a_customer_adds_nothing_to_a_finished_ticket_the_desk_still_may(
    personas, ticket, finished, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    Ticket.objects.filter(pk=ticket.pk).update(status=finished)
    customer = personas.client("customer_a")
    note = post(customer, f"/api/v1/tickets/{ticket.number}/notes", {"body": "¿Siguen ahí?"})
    assert note.status_code == 422
    assert error_of(note)["code"] == "ticket_closed"
    upload = customer.post(
        f"/api/v1/tickets/{ticket.number}/attachments",
        {"files": [SimpleUploadedFile("foto.jpg", b"\xff\xd8")]},
    )
    assert upload.status_code == 422
    assert ticket.attachments.count() == 0
    assert not list(tmp_path.rglob("*.*"))
    assert not Note.objects.filter(ticket=ticket).exists()
    staff = post(
        personas.client("agent"),
        f"/api/v1/tickets/{ticket.number}/notes",
        {"body": "Cierre revisado con el supervisor.", "internal": True},
    )
    assert staff.status_code == 201


def test_files_uploaded_through_the_api_are_in_the_bitacora(personas, ticket, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    before = Entry.objects.filter(subject_id=ticket.folio).count()
    response = personas.client("customer_a").post(
        f"/api/v1/tickets/{ticket.number}/attachments",
        {"files": [SimpleUploadedFile("bitacora.txt", b"error 49")]},
    )
    assert response.status_code == 201
    entries = Entry.objects.filter(subject_id=ticket.folio).order_by("id")
    assert entries.count() == before + 1
    entry = entries.last()
    assert entry.author == personas.customer_a
    assert "bitacora.txt" in entry.summary
    # The bitácora vouches for the file's bytes.
    assert hashlib.sha256(b"error 49").hexdigest() in entry.fields["files"]


def test_a_deactivated_agent_takes_no_tickets(personas, ticket, make_agent):
    gone = make_agent("ramon.baja", level=2)
    gone.user.is_active = False
    gone.user.save()
    response = post(
        personas.client("supervisor"),
        f"/api/v1/tickets/{ticket.number}/assign",
        {"agent_id": gone.pk},
    )
    assert response.status_code == 422
    assert error_of(response)["code"] == "agent_inactive"
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_a_nul_character_is_invalid_input_not_a_server_error(personas, ticket):
    client = personas.client("agent")
    note = post(client, f"/api/v1/tickets/{ticket.number}/notes", {"body": "a\u0000b"})
    assert note.status_code == 422
    assert error_of(note)["code"] == "invalid_input"
    assert not Note.objects.filter(ticket=ticket).exists()
    listing = client.get("/api/v1/tickets?channel=%00")
    assert listing.status_code == 422
    assert error_of(listing)["code"] == "invalid_input"


def test_unknown_addresses_and_methods_answer_in_the_api_shape(personas, ticket):
    client = personas.client("agent")
    missing = client.get("/api/v1/no-existe")
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    wrong = client.delete(f"/api/v1/tickets/{ticket.number}")
    assert wrong.status_code == 405
    assert error_of(wrong)["code"] == "method_not_allowed"
    assert "GET" in wrong["Allow"]
    # The pages keep their own (HTML) answers.
    assert not client.get("/no-existe/")["Content-Type"].startswith("application/json")


def test_the_desk_sets_the_priority_and_the_sla_follows_it(personas, ticket, now):
    urgent = SlaPolicy.objects.create(
        level=1,
        priority="urgent",
        first_response_minutes=15,
        next_update_minutes=60,
        resolution_minutes=120,
    )
    customer = post(
        personas.client("customer_a"),
        f"/api/v1/tickets/{ticket.number}/priority",
        {"priority": "urgent"},
    )
    assert customer.status_code == 403
    response = post(
        personas.client("agent"),
        f"/api/v1/tickets/{ticket.number}/priority",
        {"priority": "urgent", "reason": "Almacén detenido: no salen pedidos."},
    )
    assert response.status_code == 200
    assert response.json()["priority"] == "urgent"
    ticket.refresh_from_db()
    # The snapshot the queues show now counts the urgent policy's 15 minutes.
    assert ticket.sla_due_at == ticket.created_at + dt.timedelta(
        minutes=urgent.first_response_minutes
    )
    entry = Entry.objects.filter(subject_id=ticket.folio).order_by("id").last()
    assert "prioridad Normal → Urgente" in entry.summary
    assert entry.fields["reason"] == "Almacén detenido: no salen pedidos."
    unknown = post(
        personas.client("agent"), f"/api/v1/tickets/{ticket.number}/priority", {"priority": "ya"}
    )
    assert unknown.status_code == 422
    assert error_of(unknown)["code"] == "invalid_priority"


def test_the_ticket_page_changes_the_priority_and_keeps_a_bad_choice_on_screen(personas, ticket):
    client = personas.client("agent")
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'action="/tickets/{ticket.number}/prioridad/#acciones"' in page
    assert '<option value="normal" selected>' in page
    wrong = client.post(
        f"/tickets/{ticket.number}/prioridad/",
        {"priority": "ya", "priority_reason": "Lo pidió el gerente"},
    )
    assert wrong.status_code == 200
    body = wrong.content.decode()
    assert 'aria-invalid="true"' in body
    assert 'value="Lo pidió el gerente"' in body
    done = client.post(
        f"/tickets/{ticket.number}/prioridad/", {"priority": "high", "priority_reason": ""}
    )
    assert done.status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert "ahora tiene prioridad Alta" in client.get(done["Location"]).content.decode()


def test_an_entry_about_a_ticket_must_be_about_one_of_the_logbooks_tickets(
    personas, ticket, contract_logbook, now
):
    """Customer A's contract logbook cannot carry an entry that would show on organisation B's
    ticket page; about A's own ticket it can."""
    ticket_b = services.open_ticket(
        actor=personas.agent,
        data=services.NewTicket(
            organisation=personas.org_b,
            requester=personas.person_b,
            subject="Recetas",
            description="No imprime",
            channel="email",
        ),
        now=now,
    )
    client = personas.client("customer_a")
    address = f"/api/v1/logbooks/{contract_logbook.pk}/entries"
    entry = {"kind": "note", "summary": "Nota del cliente", "subject_type": "ticket"}
    forged = post(client, address, entry | {"subject_id": ticket_b.folio})
    assert forged.status_code == 422
    assert error_of(forged)["code"] == "invalid_subject"
    assert not Entry.objects.filter(subject_id=ticket_b.folio, summary="Nota del cliente").exists()
    own = post(client, address, entry | {"subject_id": ticket.folio})
    assert own.status_code == 201, own.json()


def test_a_database_held_past_the_busy_timeout_is_a_clear_503(personas, ticket, monkeypatch):
    """SQLite answers "database is locked" when another writer held it too long: the page
    and the API say the change was not saved and can be sent again."""
    from django.db import OperationalError

    def locked(**_kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(services, "add_note", locked)
    page = personas.client("agent").post(
        f"/tickets/{ticket.number}/notas/", {"body": "Revisé el cable."}
    )
    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert "Su cambio no se guardó" in page.content.decode()
    api = post(personas.client("agent"), f"/api/v1/tickets/{ticket.number}/notes", {"body": "Hola"})
    assert api.status_code == 503
    assert error_of(api)["code"] == "database_busy"
    assert not Note.objects.exists()
