"""Numbering, the hash chain, signatures, the eleven elements and the opening/closing rules."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from soporte.lib.errors import Forbidden
from soporte.logbook import keys, services
from soporte.logbook.chain import (
    GENESIS_HASH,
    canonical_bytes,
    chain_hash,
    entry_message,
    fingerprint,
    load_public_key,
    signature_valid,
)
from soporte.logbook.models import Entry, EntryKind, Signature, SigningKey
from soporte.logbook.services import LogbookError

from .conftest import add_note


def test_chain_matches_the_published_test_vector():
    h1 = chain_hash(GENESIS_HASH, canonical_bytes({"folio": 1}))
    h2 = chain_hash(h1, canonical_bytes({"folio": 2}))
    assert h1 == "e793566bbec47985bca6057ad6b32fad80f59d1638e5ab67306c128c093f83f0"
    assert h2 == "dfe5a2db608c58fa4fc249efc6d3a5d926edcad30f7f3f72d7a55e0a31ef1795"


def test_opening_entry_is_number_one_and_names_the_parties(logbook):
    opening = Entry.objects.get(logbook=logbook)
    assert opening.number == 1
    assert opening.kind == EntryKind.OPENING
    assert opening.prev_hash == GENESIS_HASH
    assert "Ferretería Anáhuac" in opening.fields["customer_party"]
    assert "Roberto" in opening.fields["signers"]
    assert opening.fields["deadline_days"] == "2"


def test_entries_are_numbered_consecutively_and_chained(logbook, personas, now):
    for minute in range(1, 4):
        add_note(logbook, personas.agent, now + dt.timedelta(minutes=minute))

    entries = list(Entry.objects.filter(logbook=logbook).order_by("number"))
    assert [e.number for e in entries] == [1, 2, 3, 4]
    for previous, current in itertools.pairwise(entries):
        assert current.prev_hash == previous.entry_hash
        assert current.created_at >= previous.created_at
    logbook.refresh_from_db()
    assert (logbook.head_number, logbook.head_hash) == (4, entries[-1].entry_hash)


def test_stored_hash_is_recomputable_from_the_stored_row(logbook, personas, now):
    entry = add_note(logbook, personas.agent, now, fields={"detalle": "ñandú «comillas»"})
    stored = Entry.objects.select_related("logbook", "references").get(pk=entry.pk)
    assert chain_hash(stored.prev_hash, services.entry_bytes(stored)) == stored.entry_hash


def test_author_signs_with_their_own_key(logbook, personas, now):
    entry = add_note(logbook, personas.agent, now)
    signature = Signature.objects.get(entry=entry)
    key = SigningKey.objects.get(user=personas.agent)
    assert signature.key == key
    assert key.key_id == key.fingerprint == fingerprint(key.public_key)  # the id is the fingerprint
    # The author signs the entry's hash, which covers its content (with who signs, in which
    # role and how) and, through the previous hash, everything before it.
    assert signature_valid(
        load_public_key(key.public_key), signature.signature, entry_message(entry.entry_hash)
    )
    assert services.entry_content(entry)["signed_by"] == {
        "key": key.fingerprint,
        "role": "responsible",
        "method": "on_create",
    }
    assert not signature_valid(
        load_public_key(key.public_key), signature.signature, entry_message(entry.prev_hash)
    )


def test_private_keys_are_encrypted_at_rest(logbook, personas, now):
    add_note(logbook, personas.agent, now)
    key = SigningKey.objects.get(user=personas.agent)
    raw = keys.private_key(key).private_bytes_raw()
    assert raw not in bytes(key.encrypted_private_key)
    assert len(bytes(key.encrypted_private_key)) == 12 + 32 + 16  # nonce, key, GCM tag


def test_a_maintenance_entry_lists_what_is_missing_in_spanish(logbook, personas, now):
    with pytest.raises(LogbookError) as excinfo:
        services.append_entry(
            logbook=logbook,
            kind=EntryKind.CORRECTIVE,
            author=personas.agent,
            summary="Impresora",
            fields={"user_name": "Roberto", "description": "No imprime"},
            now=now,
        )
    message = str(excinfo.value)
    assert "Faltan datos de la nota" in message
    assert "Diagnóstico" in message
    assert "Nombre y firma de la persona que reporta" in message
    assert "Descripción" not in message
    assert "diagnosis" in excinfo.value.details["missing"]
    assert Entry.objects.filter(logbook=logbook).count() == 1


def test_a_complete_maintenance_entry_carries_the_eleven_elements(
    logbook, personas, now, maintenance_fields
):
    entry = services.append_entry(
        logbook=logbook,
        kind=EntryKind.CORRECTIVE,
        author=personas.agent,
        summary="Impresora de almacén",
        fields=maintenance_fields,
        now=now,
    )
    assert [k for k, _ in services.ELEVEN_ELEMENTS if not entry.fields.get(k)] == []
    assert entry.fields["responsible_name"] == str(personas.agent)


def test_manual_entry_needs_date_time_process_and_observations(logbook, personas, now):
    with pytest.raises(LogbookError) as excinfo:
        services.append_entry(
            logbook=logbook,
            kind=EntryKind.MANUAL,
            author=personas.agent,
            summary="Respaldo",
            fields={"date": "2026-11-23", "process": "Respaldo semanal"},
            now=now,
        )
    assert set(excinfo.value.details["missing"]) == {"time", "observations"}


def test_nothing_is_added_after_closing(logbook, personas, now):
    services.close_logbook(logbook=logbook, actor=personas.supervisor, summary="Fin", now=now)
    with pytest.raises(LogbookError, match="cerrada"):
        add_note(logbook, personas.agent, now + dt.timedelta(minutes=1))


def test_dates_never_go_backwards_even_if_the_clock_does(logbook, personas, now):
    first = add_note(logbook, personas.agent, now + dt.timedelta(minutes=5))
    second = add_note(logbook, personas.agent, now)  # a clock that stepped back
    assert second.created_at >= first.created_at


def test_customers_cannot_write_desk_entries(logbook, personas, now, maintenance_fields):
    with pytest.raises(Forbidden):
        services.append_entry(
            logbook=logbook,
            kind=EntryKind.CORRECTIVE,
            author=personas.customer_a,
            summary="x",
            fields=maintenance_fields,
            now=now,
        )


def test_a_reference_must_stay_in_the_same_logbook(logbook, personas, now):
    other = services.desk_logbook(now=now)
    foreign = add_note(other, personas.agent, now)
    with pytest.raises(LogbookError, match="otra bitácora"):
        add_note(logbook, personas.agent, now, references=foreign)
