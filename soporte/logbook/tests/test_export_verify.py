"""`soporte logbook verify` needs only the export file and catches every kind of tampering."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from soporte.logbook import export, services, verify
from soporte.logbook.models import EntryKind

from .conftest import add_note

PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 40


@pytest.fixture
def exported(logbook, personas, now, tmp_path, maintenance_fields) -> Path:
    moment = now
    for i in range(2, 9):
        moment += dt.timedelta(minutes=7)
        if i == 4:
            services.append_entry(
                logbook=logbook,
                kind=EntryKind.CORRECTIVE,
                author=personas.agent,
                summary="Impresora",
                fields=maintenance_fields,
                now=moment,
            )
        else:
            add_note(logbook, personas.agent, moment, summary=f"Seguimiento {i}")
        if i == 3:
            services.sign_checkpoint(logbook=logbook, now=moment)
    entry = logbook.entries.get(number=4)
    services.countersign_entry(
        entry=entry, signer=personas.customer_a, method="on_site", drawn_png=PNG, now=moment
    )
    path = tmp_path / "bitacora.jsonl"
    with open(path, "wb") as handle:
        export.export_logbook(logbook, handle, now=moment + dt.timedelta(minutes=1))
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def entry_index(records: list[dict], number: int) -> int:
    return next(
        i
        for i, r in enumerate(records)
        if r.get("type") == "entry" and r["content"]["number"] == number
    )


def verdict(path: Path, workers: int = 1) -> verify.Report:
    return verify.verify_file(str(path), workers=workers)


def test_an_untouched_export_verifies(exported):
    report = verdict(exported)
    assert report.ok, report.summary()
    assert report.entries == 8
    assert report.signatures == 9  # one author signature each, plus the countersignature


def test_the_export_is_self_contained(exported):
    records = lines(exported)
    assert records[0]["format"] == "soporte-logbook/1"
    types = [r.get("type") for r in records[1:]]
    assert "key" in types and "checkpoint" in types and types[-1] == "entry"
    countersigned = records[entry_index(records, 4)]
    assert any(s["drawn_png"] for s in countersigned["signatures"])


def test_an_edited_field_is_caught(exported):
    records = lines(exported)
    records[entry_index(records, 5)]["content"]["summary"] = "Seguimiento alterado"
    write(exported, records)
    report = verdict(exported)
    assert not report.ok
    assert report.problem.number == 5
    assert "modificada" in report.problem.reason


def test_an_edit_with_recomputed_hashes_is_still_caught(exported):
    from soporte.logbook.chain import canonical_bytes, chain_hash

    records = lines(exported)
    start = entry_index(records, 5)
    records[start]["content"]["fields"] = {"detalle": "reescrito"}
    prev = records[start]["prev_hash"]
    for record in records[start:]:
        record["prev_hash"] = prev
        record["hash"] = prev = chain_hash(prev, canonical_bytes(record["content"]))
    write(exported, records)
    report = verdict(exported)
    assert not report.ok
    assert report.problem.number == 5
    assert "firma inválida" in report.problem.reason


def test_a_deleted_entry_is_caught(exported):
    records = lines(exported)
    del records[entry_index(records, 6)]
    write(exported, records)
    report = verdict(exported)
    assert not report.ok
    assert report.problem.number == 7
    assert "falta la nota 6" in report.problem.reason


def test_a_reordered_pair_is_caught(exported):
    records = lines(exported)
    a, b = entry_index(records, 5), entry_index(records, 6)
    records[a], records[b] = records[b], records[a]
    write(exported, records)
    report = verdict(exported)
    assert not report.ok
    assert report.problem.number == 6
    assert "falta la nota 5" in report.problem.reason


def test_an_inserted_entry_is_caught(exported):
    records = lines(exported)
    forged = json.loads(json.dumps(records[entry_index(records, 5)]))
    forged["content"]["summary"] = "Nota intercalada"
    records.insert(entry_index(records, 6), forged)
    write(exported, records)
    report = verdict(exported)
    assert not report.ok
    assert report.problem.number == 5
    assert "insertada o reordenada" in report.problem.reason


def test_a_forged_signature_is_caught(exported):
    import base64

    records = lines(exported)
    record = records[entry_index(records, 3)]
    record["signatures"][0]["signature"] = base64.b64encode(b"\x07" * 64).decode()
    write(exported, records)
    report = verdict(exported)
    assert not report.ok
    assert report.problem.number == 3
    assert "firma inválida" in report.problem.reason


def test_a_swapped_signature_is_caught(exported):
    records = lines(exported)
    a, b = records[entry_index(records, 2)], records[entry_index(records, 3)]
    a["signatures"], b["signatures"] = b["signatures"], a["signatures"]
    write(exported, records)
    report = verdict(exported)
    assert not report.ok
    assert report.problem.number == 2


def test_a_signature_claimed_by_someone_else_is_caught(exported, personas):
    records = lines(exported)
    record = records[entry_index(records, 4)]
    customer_sig = next(s for s in record["signatures"] if s["role"] == "reporting")
    customer_sig["signer"] = {"id": personas.supervisor.pk, "name": str(personas.supervisor)}
    write(exported, records)
    report = verdict(exported)
    assert not report.ok
    assert report.problem.number == 4
    assert "llave de otra persona" in report.problem.reason


def test_a_truncated_tail_is_caught(exported):
    records = lines(exported)
    write(exported, records[:-2])
    report = verdict(exported)
    assert not report.ok
    assert "final truncado" in report.problem.reason
    assert report.problem.number == 7


def test_verification_in_parallel_chunks_agrees(exported, monkeypatch):
    monkeypatch.setattr(verify, "CHUNK_BYTES", 700)
    assert verdict(exported, workers=2).ok
    records = lines(exported)
    del records[entry_index(records, 7)]
    write(exported, records)
    report = verdict(exported, workers=2)
    assert not report.ok
    assert "falta la nota 7" in report.problem.reason


def test_commands_export_and_verify(logbook, personas, now, tmp_path, capsys):
    add_note(logbook, personas.agent, now)
    path = tmp_path / "out.jsonl"
    call_command("logbook", "export", str(logbook.pk), "-o", str(path))
    call_command("logbook", "verify", str(path))
    out = capsys.readouterr().out
    assert "2 notas exportadas" in out
    assert out.strip().endswith("punto de control firmado.")
    assert "OK: 2 notas" in out
