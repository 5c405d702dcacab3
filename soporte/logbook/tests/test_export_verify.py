"""`soporte logbook verify` needs only the export file. The kinds of change it catches are
shown on a real export of the demo logbook (test_verify_demo_export.py); here: the file's
shape, parallel chunks, the command, and logbooks and files from before format 2."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from soporte.logbook import export, keys, services, verify
from soporte.logbook.chain import sign
from soporte.logbook.models import Acceptance, Logbook, Signature

from .conftest import MAINTENANCE, add_maintenance, add_note
from .forge import entries, entry, index_of, lines, write

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 40
FORMAT_1_FILE = Path(__file__).parent / "data" / "format1-demo.jsonl"


@pytest.fixture
def exported(logbook, personas, now, tmp_path) -> Path:
    moment = now
    services.countersign_entry(
        entry=logbook.entries.get(number=1), signer=personas.customer_a, method="portal", now=now
    )
    for i in range(2, 9):
        moment += dt.timedelta(minutes=7)
        if i == 4:
            add_maintenance(logbook, personas.agent, moment, summary="Impresora")
        else:
            add_note(logbook, personas.agent, moment, summary=f"Seguimiento {i}")
        if i == 3:
            services.sign_checkpoint(logbook=logbook, now=moment)
    services.countersign_entry(
        entry=logbook.entries.get(number=4),
        signer=personas.customer_a,
        method="on_site",
        drawn_png=PNG,
        now=moment,
    )
    path = tmp_path / "bitacora.jsonl"
    with open(path, "wb") as handle:
        export.export_logbook(logbook, handle, now=moment + dt.timedelta(minutes=1))
    return path


def verdict(path: Path, workers: int = 1, **kwargs) -> verify.Report:
    return verify.verify_file(str(path), workers=workers, **kwargs)


def test_an_untouched_export_verifies(exported):
    report = verdict(exported)
    assert report.ok, report.summary()
    assert report.entries == 8
    # One author signature each, plus the customer's two countersignatures.
    assert report.signatures == 10
    assert report.warnings == []


def test_the_export_is_self_contained(exported):
    records = lines(exported)
    assert records[0]["format"] == "soporte-logbook/2"
    assert set(records[0]) == {"format", "logbook", "checkpoint"}
    types = [r.get("type") for r in records[1:]]
    assert "key" in types and "checkpoint" in types and types[-1] == "entry"
    countersigned = entry(records, 4)
    (att,) = countersigned["attestations"]
    assert att["type"] == "countersignature" and att["drawing"] and att["drawing_sha256"]
    opening = entry(records, 1)["content"]
    sides = {item["side"] for item in opening["trust"]["keys"]}
    assert sides == {"desk", "customer"}
    assert sum(1 for item in opening["trust"]["keys"] if item.get("system")) == 1


def test_verification_in_parallel_chunks_agrees(exported, monkeypatch):
    monkeypatch.setattr(verify, "CHUNK_BYTES", 700)
    assert verdict(exported, workers=2).ok
    records = lines(exported)
    del records[index_of(records, 7)]
    write(exported, records)
    report = verdict(exported, workers=2)
    assert not report.ok
    assert "falta la nota 7" in report.problem.reason


def test_a_reordered_pair_across_chunks_is_reported_as_a_reorder(exported, monkeypatch):
    monkeypatch.setattr(verify, "CHUNK_BYTES", 700)
    records = lines(exported)
    a, b = index_of(records, 5), index_of(records, 6)
    records[a], records[b] = records[b], records[a]
    write(exported, records)
    report = verdict(exported, workers=2)
    assert not report.ok
    assert report.problem.number == 5
    assert "las notas 5 y 6 están en orden invertido (reordenadas)" in report.problem.reason


def test_commands_export_and_verify(logbook, personas, now, tmp_path, capsys):
    add_note(logbook, personas.agent, now)
    path = tmp_path / "out.jsonl"
    call_command("logbook", "export", str(logbook.pk), "-o", str(path))
    call_command("logbook", "verify", str(path))
    out = capsys.readouterr().out
    assert "2 notas exportadas" in out
    assert "OK: 2 notas" in out
    assert "Llave de la mesa:" in out


def test_the_command_fails_on_a_changed_file(exported, capsys):
    records = lines(exported)
    entry(records, 3)["content"]["summary"] = "Cambiado"
    write(exported, records)
    with pytest.raises(SystemExit) as exit_:
        call_command("logbook", "verify", str(exported))
    assert exit_.value.code == 1
    assert "nota 3: el resumen no coincide" in capsys.readouterr().err


# --- before format 2 ------------------------------------------------------------------------


def test_an_export_made_before_format_2_still_verifies_under_its_rules(tmp_path):
    """A format-1 file exported by the previous version of Soporte (the demo's second
    contract): it verifies, and says which guarantees format 1 does not give."""
    report = verdict(FORMAT_1_FILE)
    assert report.ok, report.summary()
    assert report.entries == 67
    assert any("formato 1" in w for w in report.warnings)
    changed = tmp_path / "changed.jsonl"
    shutil.copy(FORMAT_1_FILE, changed)
    records = lines(changed)
    records[-3]["content"]["summary"] = "Cambiado"
    write(changed, records)
    assert not verdict(changed).ok


@pytest.fixture
def format_1_logbook(personas, now) -> Logbook:
    book = Logbook.objects.create(
        kind="customer",
        organisation=personas.org_a,
        title="Bitácora antigua",
        contract_reference="CS-2025-001",
        countersign_days=2,
        opened_at=now,
        format=1,
    )
    services._append(
        logbook=book,
        kind="opening",
        author=personas.supervisor,
        summary="Apertura",
        fields={"desk_party": "Mesa", "customer_party": "Cliente", "contract": "c", "scope": "s"},
        now=now,
    )
    for minute in (1, 2):
        book.refresh_from_db()
        services._append(
            logbook=Logbook.objects.get(pk=book.pk),
            kind="corrective",
            author=personas.agent,
            summary=f"Mantenimiento {minute}",
            fields=dict(MAINTENANCE),
            now=now + dt.timedelta(minutes=minute),
        )
    # The customer's countersignature as format 1 made it: over the entry's content only.
    signed = book.entries.select_related("logbook", "references").get(number=2)
    key = keys.key_for_user(personas.customer_a, now=now)
    Signature.objects.create(
        entry=signed,
        signer=personas.customer_a,
        signer_name=str(personas.customer_a),
        role="reporting",
        method="on_site",
        key=key,
        signature=sign(keys.private_key(key), services.entry_bytes(signed)),
        drawn_png=PNG,
        signed_at=now + dt.timedelta(minutes=5),
    )
    Acceptance.objects.create(
        entry=signed, kind="countersigned", accepted_at=now + dt.timedelta(minutes=5)
    )
    book.refresh_from_db()
    assert book.format == 1 and set(book.entries.values_list("version", flat=True)) == {1}
    return book


def test_an_open_format_1_logbook_is_upgraded_by_one_entry_of_the_desk(
    format_1_logbook, personas, now, tmp_path
):
    book = format_1_logbook
    add_note(book, personas.agent, now + dt.timedelta(hours=1))
    book.refresh_from_db()
    assert book.format == 2
    upgrade = book.entries.get(number=4)
    assert upgrade.kind == "keys" and upgrade.author.username == "soporte:sistema"
    assert upgrade.trust["legacy"]["entries"] == 3
    path = tmp_path / "upgraded.jsonl"
    with open(path, "wb") as handle:
        export.export_logbook(book, handle, now=now + dt.timedelta(hours=2))
    report = verdict(path)
    assert report.ok, report.summary()
    assert any("los sella la mesa en la nota 4" in w for w in report.warnings)

    # The format-1 signature records are sealed: changing one is caught.
    records = lines(path)
    sig = entry(records, 2)["signatures"][-1]
    sig["signed_at"] = "2026-01-01T00:00:00.000Z"
    write(path, records)
    report = verdict(path)
    assert not report.ok
    assert report.problem.number == 4
    assert "no coinciden con las que selló la actualización" in report.problem.reason


def test_a_closed_format_1_logbook_exports_under_format_1_rules(format_1_logbook, now, tmp_path):
    Logbook.objects.filter(pk=format_1_logbook.pk).update(closed_at=now)
    book = Logbook.objects.get(pk=format_1_logbook.pk)
    path = tmp_path / "closed.jsonl"
    with open(path, "wb") as handle:
        export.export_logbook(book, handle, now=now + dt.timedelta(hours=2))
    report = verdict(path)
    assert report.ok, report.summary()
    assert any("siguen las reglas del formato 1" in w for w in report.warnings)
    assert Logbook.objects.get(pk=book.pk).format == 1  # nothing added after the closing
    records = lines(path)
    assert json.loads(json.dumps(entries(records)[0]["content"])).get("v") is None
