"""The ticket page's hand-written reads answer exactly what their querysets answer.

`soporte.tickets.reads` and `logbook.services.timeline` read with SQL written out (compiling
the querysets cost most of the page). Each is compared, field by field and relation by
relation, with the queryset it replaces, on a ticket with public and internal notes, files,
two hand-offs, status changes, a survey and bitácora entries, for an agent, the ticket's
customer and another organisation's customer, on whichever database the suite runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from soporte.directory.models import Area
from soporte.logbook import services as logbook
from soporte.logbook.models import Entry
from soporte.tickets import attachments, reads, services
from soporte.tickets.models import Escalation, Status, StatusChange, Survey, Ticket


def fields(obj: Model | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def same(raw: Model | None, orm: Model | None, *paths: str) -> None:
    """Equal columns, and equal columns along every related path (read without a query)."""
    assert fields(raw) == fields(orm)
    for path in paths:
        a, b = raw, orm
        for name in path.split("__"):
            a = getattr(a, name) if a is not None else None
            b = getattr(b, name) if b is not None else None
        assert fields(a) == fields(b), path


@pytest.fixture
def story(personas, ticket, now, settings, tmp_path, contract_logbook, make_agent):
    # contract_logbook: the customer's; public notes go there, internal ones to the desk's.
    settings.MEDIA_ROOT = tmp_path
    agent = personas.agent.agent
    services.add_note(ticket=ticket, author=personas.customer_a, body="Sigue igual.", now=now)
    services.add_note(
        ticket=ticket,
        author=personas.agent,
        body="Revisar el fusor.",
        internal=True,
        now=now + dt.timedelta(minutes=1),
    )
    attachments.store(
        ticket=ticket,
        uploaded_by=personas.customer_a,
        name="foto.jpg",
        data=b"\xff\xd8jpeg",
        content_type="image/jpeg",
        now=now,
    )
    note = ticket.notes.order_by("id").first()
    attachments.store(
        ticket=ticket,
        uploaded_by=personas.customer_a,
        name="log.txt",
        data=b"error 49",
        content_type="text/plain",
        now=now,
        note=note,
    )
    ticket = services.assign_ticket(ticket=ticket, actor=personas.agent, agent=agent, now=now)
    services.escalate_ticket(
        ticket=ticket,
        actor=personas.agent,
        to_level=2,
        to_area=None,
        customer_name="Roberto Sánchez",
        reason="Sigue la luz ámbar",
        tried="Reinicio y limpieza",
        now=now + dt.timedelta(minutes=2),
    )
    services.escalate_ticket(
        ticket=ticket,
        actor=personas.supervisor,
        to_level=2,
        to_area=Area.objects.create(name="Impresión"),
        customer_name="Roberto Sánchez",
        reason="Pasa a impresión",
        tried="Cambio de tóner",
        now=now + dt.timedelta(minutes=3),
    )
    # Nobody of level 2 was available: a supervisor gives it to one before it is worked on.
    services.assign_ticket(
        ticket=ticket,
        actor=personas.supervisor,
        agent=make_agent("nora.nivel2", level=2),
        now=now + dt.timedelta(minutes=4),
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        ticket = services.change_status(
            ticket=ticket,
            actor=personas.supervisor,
            to_status=status,
            now=now + dt.timedelta(minutes=4),
        )
    services.answer_survey(
        ticket=ticket,
        actor=personas.customer_a,
        satisfaction=4,
        resolved=True,
        now=now + dt.timedelta(minutes=5),
    )
    return Ticket.objects.get(pk=ticket.pk)


def test_the_ticket_and_what_its_page_prints_of_it(story, personas):
    orm = Ticket.objects.select_related(*reads.TICKET_RELATED).get(pk=story.pk)
    raw = reads.ticket(personas.agent, story.number)
    with CaptureQueriesContext(connection) as queries:
        same(raw, orm, *reads.TICKET_RELATED, "requester", "assignee")
    assert len(queries) == 0, "a related object was not loaded with the ticket"
    assert raw.decision_maker is None  # a LEFT JOIN's missing side
    assert raw.area.name == "Impresión" and raw.requester.user == personas.customer_a
    assert reads.ticket(personas.customer_a, story.number) is not None
    assert reads.ticket(personas.customer_b, story.number) is None  # another organisation
    assert reads.ticket(personas.agent, story.number + 1000) is None


def test_notes_files_survey_and_changes(story):
    raw_notes, orm_notes = (
        reads.notes(story),
        list(story.notes.select_related("author").order_by("created_at", "id")),
    )
    assert [n.internal for n in raw_notes] == [False, True]
    for a, b in zip(raw_notes, orm_notes, strict=True):
        same(a, b, "author")
    raw_files = reads.attachments(story)
    assert [f.original_name for f in raw_files] == ["foto.jpg", "log.txt"]
    for fa, fb in zip(raw_files, list(story.attachments.order_by("id")), strict=True):
        same(fa, fb)
    same(reads.survey(story), Survey.objects.get(ticket=story))
    orm_changes = StatusChange.objects.filter(ticket=story).order_by("at", "id")
    assert reads.status_changes(story) == [(c.at, c.from_status, c.to_status) for c in orm_changes]
    assert len(reads.status_changes(story)) >= 4


def test_the_latest_handoff_with_both_agents_and_the_area(story):
    orm = story.escalations.select_related(*reads.HANDOFF_RELATED).order_by("-at", "-id").first()
    raw = reads.handoff(story)
    assert services.handoff_for(story).pk == raw.pk  # the service's answer is this read
    assert raw.reason == "Pasa a impresión" and raw.pk == orm.pk
    with CaptureQueriesContext(connection) as queries:
        loaded = [getattr(raw, name) for name in ("from_agent", "to_agent", "to_area", "by")]
        names = [raw.to_area.name, raw.by.username]
    assert len(queries) == 0, "a related object was not loaded with the hand-off"
    # The first hand-off left the ticket in the level-2 queue: nobody hands this one over.
    assert loaded[0] is None and names == ["Impresión", "hector.dominguez"]
    same(raw, orm, *reads.HANDOFF_RELATED)
    assert Escalation.objects.filter(ticket=story).count() == 2


def test_a_ticket_without_children_reads_empty(personas, ticket):
    assert reads.notes(ticket) == [] and reads.attachments(ticket) == []
    assert reads.survey(ticket) is None and reads.handoff(ticket) is None


@pytest.mark.parametrize("who", ["agent", "customer_a", "customer_b"])
def test_the_timeline_is_the_visible_entries_oldest_first(story, personas, who):
    actor = getattr(personas, who)
    expected = list(
        Entry.objects.visible_to(actor)
        .filter(subject_type="ticket", subject_id=story.folio)
        .select_related("logbook")
        .order_by("created_at", "logbook_id", "number")
    )
    raw = logbook.timeline(
        actor=actor, subject_type="ticket", subject_id=story.folio, details=False
    )
    assert [e.pk for e in raw] == [e.pk for e in expected]
    for a, b in zip(raw, expected, strict=True):
        same(a, b, "logbook")
    if who == "agent":  # the internal note is in the desk's logbook, staff only
        assert any(e.logbook.organisation_id is None for e in raw)
    elif who == "customer_a":
        assert raw and all(e.logbook.organisation_id == personas.org_a.pk for e in raw)
    else:
        assert raw == []
    limited = logbook.timeline(actor=actor, subject_type="ticket", subject_id=story.folio, limit=2)
    assert [e.pk for e in limited] == [e.pk for e in expected[:2]]
