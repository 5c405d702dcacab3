"""Keys enter a logbook for a reason; checkpoints reach the customer; the demo's contract does
not start with a hundred entries to sign."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from soporte.logbook import export, handout, keys, services, verify
from soporte.logbook.chain import sign, statement_bytes
from soporte.logbook.models import Entry, EntryKind, LogbookKey

from .conftest import add_maintenance, add_note
from .forge import entry, lines, rehint, write


def export_to(logbook, path, now) -> None:
    with open(path, "wb") as handle:
        export.export_logbook(logbook, handle, now=now)


def test_a_new_technician_is_certified_by_the_desk_before_their_first_entry(
    logbook, personas, now, tmp_path, make_agent
):
    newcomer = make_agent("nadia.nueva", level=1).user
    entry_ = add_note(logbook, newcomer, now + dt.timedelta(minutes=1))
    certification = Entry.objects.get(logbook=logbook, number=entry_.number - 1)
    assert certification.kind == EntryKind.KEYS
    assert certification.author == keys.system_signer()
    (item,) = certification.trust["keys"]
    assert item["key"] == keys.key_for_user(newcomer, now=now).fingerprint
    assert item["side"] == "desk" and not certification.countersign
    add_note(logbook, newcomer, now + dt.timedelta(minutes=2))  # certified once
    assert LogbookKey.objects.filter(logbook=logbook, entry__kind=EntryKind.KEYS).count() == 1
    export_to(logbook, tmp_path / "b.jsonl", now + dt.timedelta(minutes=3))
    assert verify.verify_file(str(tmp_path / "b.jsonl"), workers=1).ok


def test_a_customers_new_key_waits_for_the_customers_countersignature(
    logbook, personas, now, tmp_path, make_customer
):
    newcomer = make_customer("sofia.cliente", personas.org_a)
    services.append_entry(
        logbook=logbook, kind=EntryKind.NOTE, author=newcomer, summary="Pregunta", now=now
    )
    certification = Entry.objects.get(logbook=logbook, kind=EntryKind.KEYS)
    assert certification.countersign  # the customer's representative confirms it
    path = tmp_path / "b.jsonl"
    export_to(logbook, path, now + dt.timedelta(minutes=1))
    report = verify.verify_file(str(path), workers=1)
    assert report.ok, report.summary()
    assert any("solo por la mesa" in w and "Sofia" in w for w in report.warnings)

    services.countersign_entry(
        entry=certification, signer=personas.customer_a, method="portal", now=now
    )
    export_to(logbook, path, now + dt.timedelta(minutes=2))
    report = verify.verify_file(str(path), workers=1)
    assert report.ok and not any("solo por la mesa" in w for w in report.warnings)


def test_a_rotated_key_is_certified_and_the_old_one_signs_no_more(logbook, personas, now, tmp_path):
    old = keys.key_for_user(personas.agent, now=now)
    new = keys.rotate_key(personas.agent, now=now)
    entry_ = add_note(logbook, personas.agent, now + dt.timedelta(minutes=1))
    assert entry_.signatures.get().key == new
    certification = Entry.objects.get(logbook=logbook, number=entry_.number - 1)
    assert certification.trust["keys"][0]["replaces"] == old.fingerprint
    path = tmp_path / "b.jsonl"
    export_to(logbook, path, now + dt.timedelta(minutes=2))
    assert verify.verify_file(str(path), workers=1).ok

    # Someone holding the old key signs the new entry with it (its record says the old key).
    records = lines(path)
    record = entry(records, entry_.number)
    record["content"]["signed_by"]["key"] = old.fingerprint
    rehint(record["content"])
    write(path, records)
    report = verify.verify_file(str(path), workers=1)
    assert not report.ok


def test_a_countersignature_made_with_a_key_the_logbook_never_certified_is_caught(
    logbook, personas, now, tmp_path
):
    entry_ = add_maintenance(logbook, personas.agent, now)
    services.countersign_entry(entry=entry_, signer=personas.customer_a, method="portal", now=now)
    path = tmp_path / "b.jsonl"
    export_to(logbook, path, now + dt.timedelta(minutes=1))
    records = lines(path)
    forged = Ed25519PrivateKey.generate()
    from soporte.logbook.chain import fingerprint, public_key_hex

    records.insert(
        1,
        {
            "type": "key",
            "key": fingerprint(public_key_hex(forged)),
            "public_key": public_key_hex(forged),
        },
    )
    att = entry(records, entry_.number)["attestations"][0]
    att["key"] = fingerprint(public_key_hex(forged))
    rehint(att)
    att["signature"] = sign(forged, statement_bytes(att))
    write(path, records)
    report = verify.verify_file(str(path), workers=1)
    assert not report.ok
    assert "no certificada" in report.problem.reason


# --- checkpoints handed to the customer ------------------------------------------------------


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(([r.lower() for r in envelope.rcpt_tos], parsed))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    yield inbox
    controller.stop()


def test_the_daily_checkpoint_is_e_mailed_to_the_customer_as_a_small_attachment(
    smtp, logbook, personas, now, tmp_path
):
    add_maintenance(logbook, personas.agent, now)
    services.daily_checkpoints(now=now + dt.timedelta(minutes=1))
    mine = [m for to, m in smtp.messages if personas.customer_a.email in to]
    assert len(mine) == 1
    (attachment,) = list(mine[0].iter_attachments())
    data = attachment.get_content()
    data = json.loads(data if isinstance(data, str) else data.decode())
    assert len(json.dumps(data)) < 4096
    assert data["checkpoint"]["entries"] == 2
    held = tmp_path / attachment.get_filename()
    held.write_text(json.dumps(data))

    # Later the same day: a new daily checkpoint, no second e-mail.
    add_note(logbook, personas.agent, now + dt.timedelta(hours=1))
    services.daily_checkpoints(now=now + dt.timedelta(hours=1, minutes=1))
    assert len([m for to, m in smtp.messages if personas.customer_a.email in to]) == 1

    # The e-mailed checkpoint is what `verify --checkpoint` takes.
    path = tmp_path / "b.jsonl"
    export_to(logbook, path, now + dt.timedelta(hours=2))
    assert verify.verify_file(str(path), workers=1, checkpoints=[str(held)]).ok
    assert handout.filename(logbook.checkpoints.first()).endswith(".json")


def test_the_demo_contract_does_not_start_with_a_hundred_entries_to_sign(db, now):
    from soporte import demo

    demo.load_demo(now=now)
    for book in services.Logbook.objects.filter(kind="customer"):
        entries = list(
            book.entries.select_related("logbook", "acceptance").prefetch_related("referenced_by")
        )
        pending = [e for e in entries if services.status_of(e, now=now) == "pending"]
        assert len(entries) > 50
        assert len(pending) <= 3, [(e.number, e.kind) for e in pending]
        assert all(e.kind in services.COUNTERSIGNED_KINDS for e in pending)
