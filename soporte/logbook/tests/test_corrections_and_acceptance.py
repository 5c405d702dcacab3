"""Corrections are new entries; the customer countersigns or accepts tacitly after the deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from soporte.lib.errors import Forbidden
from soporte.logbook import services
from soporte.logbook.models import Acceptance, Entry, EntryKind, Signature
from soporte.logbook.services import LogbookError

from .conftest import add_maintenance, add_note

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_annulment_references_the_original_and_a_correction_follows(logbook, personas, now):
    wrong = add_note(
        logbook, personas.agent, now, summary="Se cambió el disco", fields={"disco": "1 TB"}
    )

    annulment, corrected = services.annul_entry(
        entry=wrong,
        actor=personas.agent,
        reason="El disco instalado fue de 2 TB",
        correction={"disco": "2 TB"},
        now=now + dt.timedelta(minutes=3),
    )

    assert annulment.kind == EntryKind.ANNULMENT
    assert annulment.references == wrong
    assert annulment.number == wrong.number + 1
    assert corrected is not None
    assert corrected.number == wrong.number + 2
    assert corrected.references == wrong
    assert corrected.fields["disco"] == "2 TB"
    wrong.refresh_from_db()
    assert wrong.fields["disco"] == "1 TB", "the original is never edited"
    assert {e.kind for e in wrong.referenced_by.all()} == {EntryKind.ANNULMENT, EntryKind.NOTE}


def test_an_entry_is_annulled_only_once(logbook, personas, now):
    entry = add_note(logbook, personas.agent, now)
    services.annul_entry(entry=entry, actor=personas.agent, reason="error", now=now)
    with pytest.raises(LogbookError, match="ya fue anulada"):
        services.annul_entry(entry=entry, actor=personas.agent, reason="otra vez", now=now)


def test_opening_and_annulments_cannot_be_annulled(logbook, personas, now):
    opening = Entry.objects.get(logbook=logbook, number=1)
    with pytest.raises(LogbookError, match="no se puede anular"):
        services.annul_entry(entry=opening, actor=personas.agent, reason="x", now=now)


def test_an_addition_is_a_new_entry_referencing_the_original(logbook, personas, now):
    original = add_note(logbook, personas.agent, now, summary="Revisión de red")
    addition = add_note(
        logbook,
        personas.agent,
        now,
        summary="Se agrega: el switch quedó etiquetado",
        references=original,
    )
    assert addition.references == original
    assert list(original.referenced_by.all()) == [addition]


def test_customer_countersigns_in_the_portal(logbook, personas, now):
    entry = add_maintenance(logbook, personas.agent, now)
    signature = services.countersign_entry(
        entry=entry, signer=personas.customer_a, method="portal", now=now + dt.timedelta(hours=1)
    )
    assert signature.role == "reporting"
    assert Acceptance.objects.get(entry=entry).kind == "countersigned"
    assert services.status_of(entry, now=now + dt.timedelta(days=5)) == "countersigned"


def test_customer_countersigns_on_site_with_a_drawn_signature(logbook, personas, now):
    entry = add_maintenance(logbook, personas.agent, now)
    services.countersign_entry(
        entry=entry, signer=personas.customer_a, method="on_site", drawn_png=PNG, now=now
    )
    drawn = Signature.objects.get(entry=entry, signer=personas.customer_a).drawn_png
    assert drawn is not None
    assert bytes(drawn) == PNG


def test_a_drawing_that_is_not_a_png_is_refused(logbook, personas, now):
    entry = add_maintenance(logbook, personas.agent, now)
    with pytest.raises(LogbookError, match="imagen válida"):
        services.countersign_entry(
            entry=entry, signer=personas.customer_a, method="on_site", drawn_png=b"<svg/>", now=now
        )


def test_other_organisation_cannot_countersign(logbook, personas, now):
    entry = add_maintenance(logbook, personas.agent, now)
    with pytest.raises(Forbidden):
        services.countersign_entry(
            entry=entry, signer=personas.customer_b, method="portal", now=now
        )
    with pytest.raises(Forbidden):
        services.countersign_entry(entry=entry, signer=personas.agent, method="portal", now=now)


def test_unsigned_entry_is_tacitly_accepted_after_the_deadline(logbook, personas, now):
    entry = add_maintenance(logbook, personas.agent, now)
    just_before = now + dt.timedelta(days=2) - dt.timedelta(seconds=1)

    assert services.accept_tacitly(now=just_before) == 0
    assert services.status_of(entry, now=just_before) == "pending"

    deadline = now + dt.timedelta(days=2)
    accepted = services.accept_tacitly(now=deadline + dt.timedelta(hours=3))

    assert accepted >= 1
    acceptance = Acceptance.objects.get(entry=entry)
    assert acceptance.kind == "tacit"
    assert acceptance.accepted_at == entry.created_at + dt.timedelta(days=2)
    with pytest.raises(LogbookError, match="tácitamente"):
        services.countersign_entry(
            entry=entry, signer=personas.customer_a, method="portal", now=deadline
        )


def test_tacit_acceptance_runs_once(logbook, personas, now):
    add_maintenance(logbook, personas.agent, now)
    later = now + dt.timedelta(days=3)
    first = services.accept_tacitly(now=later)
    assert first >= 1
    assert services.accept_tacitly(now=later) == 0


def test_an_annulled_entry_needs_no_countersignature(logbook, personas, now):
    entry = add_maintenance(logbook, personas.agent, now)
    services.annul_entry(entry=entry, actor=personas.agent, reason="duplicada", now=now)
    assert services.status_of(entry, now=now) == "not_required"
    with pytest.raises(Forbidden):
        services.countersign_entry(
            entry=entry, signer=personas.customer_a, method="portal", now=now
        )
    assert services.accept_tacitly(now=now + dt.timedelta(days=5)) >= 0
    assert not Acceptance.objects.filter(entry=entry).exists()


def test_a_signature_after_the_deadline_is_refused_even_before_the_job_runs(logbook, personas, now):
    entry = add_maintenance(logbook, personas.agent, now)
    with pytest.raises(LogbookError, match="tácitamente"):
        services.countersign_entry(
            entry=entry, signer=personas.customer_a, method="portal", now=now + dt.timedelta(days=2)
        )
