"""Every ticket action writes its bitácora entry: notes and survey answers too."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.logbook.models import Entry, EntryKind
from soporte.tickets import services
from soporte.tickets.models import Status

pytestmark = pytest.mark.django_db


def _entries(ticket):
    opened = Entry.objects.filter(subject_type="ticket", subject_id=ticket.folio).order_by("id")[:1]
    return Entry.objects.filter(
        subject_type="ticket", subject_id=ticket.folio, kind=EntryKind.NOTE
    ).exclude(pk__in=opened)


def test_a_public_reply_is_logged_where_the_customer_reads(personas, ticket, now):
    services.add_note(ticket=ticket, author=personas.agent, body="Cambié el tóner.", now=now)
    entry = _entries(ticket).get()
    assert entry.logbook == services.ticket_logbook(ticket, now=now)
    assert "Cambié el tóner." in entry.summary
    assert entry.author == personas.agent


def test_an_internal_note_goes_to_the_desks_logbook_only(personas, ticket, now):
    from soporte.logbook import services as logbook

    services.add_note(
        ticket=ticket,
        author=personas.agent,
        body="Cliente molesto; ir con tacto.",
        internal=True,
        now=now,
    )
    entry = _entries(ticket).get()
    assert entry.logbook == logbook.desk_logbook(now=now)
    assert entry.logbook.organisation_id is None


def test_a_customer_reply_and_the_survey_are_logged(personas, ticket, now):
    services.add_note(ticket=ticket, author=personas.customer_a, body="Sigue igual.", now=now)
    ticket = services.assign_ticket(
        ticket=ticket, actor=personas.agent, agent=personas.agent.agent, now=now
    )
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        ticket = services.change_status(
            ticket=ticket, actor=personas.agent, to_status=status, now=now + dt.timedelta(minutes=1)
        )
    services.answer_survey(
        ticket=ticket,
        actor=personas.customer_a,
        satisfaction=4,
        resolved=True,
        now=now + dt.timedelta(minutes=5),
    )
    summaries = list(_entries(ticket).order_by("number").values_list("summary", flat=True))
    assert any("Sigue igual." in s for s in summaries)
    assert any("satisfacción 4 de 5" in s for s in summaries)


def test_the_bitacora_is_written_in_the_desks_language_whoever_reads_english(
    personas, ticket, settings
):
    """Entries are signed and kept for good: an agent reading English still writes Spanish
    entries (and reads English messages)."""
    from soporte.logbook.models import Entry

    client = personas.client("agent")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    priority = client.post(
        f"/tickets/{ticket.number}/prioridad/",
        {"priority": "high", "priority_reason": ""},
        follow=True,
    )
    assert "now has priority High" in priority.content.decode()
    client.post(f"/tickets/{ticket.number}/estado/", {"to_status": "cancelled", "comment": ""})
    summaries = list(
        Entry.objects.filter(subject_id=ticket.folio)
        .order_by("id")
        .values_list("summary", flat=True)
    )
    assert any("prioridad Normal → Alta" in s for s in summaries), summaries
    assert any("Nuevo → Cancelado" in s for s in summaries), summaries
    assert not any("priority" in s or "Cancelled" in s for s in summaries), summaries


def test_a_note_names_its_files_in_the_bitacora(personas, ticket, settings, tmp_path):
    import hashlib

    from django.core.files.uploadedfile import SimpleUploadedFile

    from soporte.logbook.models import Entry

    settings.MEDIA_ROOT = tmp_path
    response = personas.client("agent").post(
        f"/tickets/{ticket.number}/notas/",
        {"body": "Adjunto el registro", "uploads": [SimpleUploadedFile("registro.log", b"E49")]},
    )
    assert response.status_code == 302
    entry = Entry.objects.filter(subject_id=ticket.folio).order_by("id").last()
    assert entry.fields["body"] == "Adjunto el registro"
    assert "registro.log" in entry.fields["files"]
    assert hashlib.sha256(b"E49").hexdigest() in entry.fields["files"]
