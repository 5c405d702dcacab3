"""`soporte logbook verify` on a real export of the demo contract's logbook: untouched, it
verifies; each kind of change is caught and named (entry and element), keys swapped or the
whole file re-signed are caught (with --desk-key for the latter), and a history cut back to
an older checkpoint is caught with the checkpoint the customer kept.

Zammad's CVE-2020-29160 (history that could be edited) is the counter-example: here every
byte that verify reads is covered by the hash chains or by a signature."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.db import transaction

from soporte.logbook import verify
from soporte.logbook.chain import grouped

from .conftest import MAINTENANCE
from .forge import attestations, entries, entry, index_of, lines, resign, roll_back, write

pytestmark = pytest.mark.django_db

T = dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 60


_BUILT: dict = {}


@pytest.fixture
def demo(tmp_path_factory) -> dict:
    """The demo desk, then a day in its contract logbook: a customer signs on site with a
    drawing, the daily checkpoint is kept by the customer, more work is logged, deadlines pass
    (tacit acceptances), and the logbook is exported. Built once per test process (in the
    first test's transaction, rolled back with it); the other tests only read the files."""
    if not _BUILT:
        _BUILT.update(_build(tmp_path_factory.mktemp("demo-export")))
    return _BUILT


def _build(folder: Path) -> dict:
    from soporte import demo as demo_data
    from soporte.logbook import handout, keys, services
    from soporte.logbook.models import Entry, Logbook

    with time_machine.travel(T, tick=False):
        with transaction.atomic():
            demo_data.load_demo(now=T)
            book = Logbook.objects.get(contract_reference="CS-2026-014")
            pending = [
                e
                for e in Entry.objects.filter(logbook=book, countersign=True).select_related(
                    "logbook"
                )
                if services.status_of(e, now=T + dt.timedelta(hours=1)) == "pending"
            ]
            customer = book.signers.filter(side="customer").first().user
            services.countersign_entry(
                entry=pending[0],
                signer=customer,
                method="on_site",
                drawn_png=PNG,
                now=T + dt.timedelta(hours=1),
            )
            held = services.sign_checkpoint(logbook=book, now=T + dt.timedelta(hours=2), daily=True)
            (folder / "cliente.json").write_bytes(handout.checkpoint_bytes(held))
            agent = Entry.objects.filter(logbook=book, kind="corrective").first().author
            for i in range(3):
                services.append_entry(
                    logbook=book,
                    kind="note",
                    author=agent,
                    summary=f"Seguimiento {i}",
                    fields={"detail": "Se revisó con el cliente."},
                    now=T + dt.timedelta(hours=3, minutes=i),
                )
            services.append_entry(  # nobody signs it: tacitly accepted when the deadline passes
                logbook=book,
                kind="preventive",
                author=agent,
                summary="Limpieza preventiva de la impresora",
                fields=MAINTENANCE,
                now=T + dt.timedelta(hours=4),
            )
            services.accept_tacitly(now=T + dt.timedelta(days=3))
            from soporte.logbook import export

            with open(folder / "bitacora.jsonl", "wb") as handle:
                export.export_logbook(book, handle, now=T + dt.timedelta(days=3, hours=1))
            desk_fp = keys.desk_key(now=T).fingerprint
            customer_name = str(customer)
    return {
        "path": folder / "bitacora.jsonl",
        "held": folder / "cliente.json",
        "desk_key": desk_fp,
        "customer": customer_name,
    }


@pytest.fixture
def copy_of(demo, tmp_path) -> Path:
    path = tmp_path / "bitacora.jsonl"
    path.write_bytes(demo["path"].read_bytes())
    return path


def verdict(path: Path, **kwargs) -> verify.Report:
    return verify.verify_file(str(path), workers=1, **kwargs)


def countersigned(records: list[dict]) -> tuple[dict, dict]:
    """An entry with the customer's drawn countersignature, and that attestation."""
    for record in entries(records):
        for att in record["attestations"]:
            if att["type"] == "countersignature" and att.get("drawing"):
                return record, att
    raise AssertionError("no drawn countersignature in the demo export")


def tacit(records: list[dict]) -> tuple[dict, dict]:
    for record in entries(records):
        for att in record["attestations"]:
            if att["type"] == "tacit":
                return record, att
    raise AssertionError("no tacit acceptance in the demo export")


def maintenance(records: list[dict]) -> dict:
    return next(r for r in entries(records) if r["content"]["kind"] == "corrective")


def test_an_untouched_export_of_the_demo_logbook_verifies(demo):
    report = verdict(demo["path"])
    assert report.ok, report.summary()
    records = lines(demo["path"])
    assert report.entries == len(entries(records))
    assert report.signatures == len(entries(records)) + len(attestations(records))
    assert report.desk_key == demo["desk_key"]
    assert grouped(demo["desk_key"]) in report.summary()
    kinds = {a["type"] for a in attestations(records)}
    assert kinds == {"countersignature", "tacit"}


def test_the_command_verifies_with_the_pin_and_the_customers_checkpoint(demo, capsys):
    call_command(
        "logbook",
        "verify",
        str(demo["path"]),
        "--desk-key",
        grouped(demo["desk_key"]),
        "--checkpoint",
        str(demo["held"]),
    )
    assert "OK:" in capsys.readouterr().out


def _edit_summary(records):
    record = maintenance(records)
    record["content"]["summary"] = "Otro resumen"
    return record["content"]["number"], "el resumen no coincide"


def _edit_field(records):
    record = maintenance(records)
    record["content"]["fields"]["diagnosis"] = "Otro diagnóstico"
    return record["content"]["number"], "el dato «Diagnóstico» no coincide"


def _edit_author(records):
    record = maintenance(records)
    record["content"]["author"]["name"] = "Alguien Más"
    return record["content"]["number"], "el responsable no coincide"


def _edit_date(records):
    record = maintenance(records)
    record["content"]["created_at"] = "2026-01-01T00:00:00.000Z"
    return record["content"]["number"], "la fecha de la nota no coincide"


def _edit_countersign_rule(records):
    record = maintenance(records)
    record["content"]["countersign"] = False
    return record["content"]["number"], "la regla de firma del cliente no coincide"


def _edit_author_role(records):
    record = maintenance(records)
    record["content"]["signed_by"]["role"] = "reporting"
    return record["content"]["number"], "la llave, el rol o la forma de la firma del responsable"


def _edit_signed_at(records):
    record, att = countersigned(records)
    att["signed_at"] = "2026-11-24T09:00:00.000Z"
    return record["content"][
        "number"
    ], f"la fecha de la firma de {att['signer']['name']} no coincide"


def _edit_role(records):
    record, att = countersigned(records)
    att["role"] = "customer_rep"
    return record["content"]["number"], f"el rol de la firma de {att['signer']['name']} no coincide"


def _edit_method(records):
    record, att = countersigned(records)
    att["method"] = "portal"
    return record["content"][
        "number"
    ], f"la forma de la firma de {att['signer']['name']} no coincide"


def _edit_signer_name(records):
    record, att = countersigned(records)
    name = att["signer"]["name"]
    att["signer"]["name"] = "Otra Persona"
    return record["content"][
        "number"
    ], "el nombre del firmante de la firma de Otra Persona no coincide" if name else ""


def _edit_drawing(records):
    record, att = countersigned(records)
    att["drawing"] = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x03" * 60).decode()
    return record["content"][
        "number"
    ], f"la imagen de la firma dibujada de {att['signer']['name']} no coincide"


def _edit_drawing_and_its_hash(records):
    import hashlib

    record, att = countersigned(records)
    forged = b"\x89PNG\r\n\x1a\n" + b"\x04" * 60
    att["drawing"] = base64.b64encode(forged).decode()
    att["drawing_sha256"] = hashlib.sha256(forged).hexdigest()
    return record["content"][
        "number"
    ], f"la imagen de la firma dibujada de {att['signer']['name']} no coincide"


def _tacit_date(records):
    record, att = tacit(records)
    att["at"] = "2026-11-24T00:00:00.000Z"
    return record["content"][
        "number"
    ], "la fecha de la aceptación tácita de Sistema de la mesa no coincide"


def _tacit_to_countersigned(records):
    record, att = tacit(records)
    att["type"] = "countersignature"
    att.update(
        role="reporting", method="portal", signed_at=att["at"], drawing_sha256=None, drawing=None
    )
    return record["content"][
        "number"
    ], "se agregó o quitó un dato de la firma de Sistema de la mesa"


def _drop_countersignature(records):
    record, att = countersigned(records)
    record["attestations"].remove(att)
    return None, f"falta el registro de firma nº {att['seq']}"


def _move_signature(records):
    record, att = countersigned(records)
    # Onto another entry with no attestation of its own: a maintenance note when one is still
    # open, else any (the demo's maintenance notes may all be accepted by the export's date).
    others = [r for r in entries(records) if r is not record and not r["attestations"]]
    other = next((r for r in others if r["content"]["kind"] == "corrective"), others[0])
    record["attestations"].remove(att)
    other["attestations"].append(att)
    return other["content"]["number"], "es de otra nota (movida)"


def _edit_stored_hash(records):
    record = maintenance(records)
    record["hash"] = "ab" * 32
    return record["content"]["number"], "el hash registrado no coincide con su contenido"


def _extra_data(records):
    record = maintenance(records)
    record["nota_al_margen"] = "escrito entre líneas"
    return record["content"]["number"], "datos de más"


def _edit_checkpoint_date(records):
    cp = next(r for r in records if r.get("type") == "checkpoint" and r.get("v") == 2)
    cp["created_at"] = "2026-11-20T00:00:00.000Z"
    return None, "la fecha no coincide"


def _edit_key_record(records):
    key = next(r for r in records if r.get("type") == "key")
    key["public_key"] = Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()
    return None, "no corresponde a su huella"


def _edit_certified_owner(records):
    opening = entry(records, 1)
    item = next(i for i in opening["content"]["trust"]["keys"] if i["side"] == "customer")
    item["owner"]["name"] = "Impostor"
    return 1, "las llaves que certifica no coincide"


def _reorder(records):
    numbers = [r["content"]["number"] for r in entries(records)]
    a = numbers[len(numbers) // 2]
    i, j = index_of(records, a), index_of(records, a + 1)
    records[i], records[j] = records[j], records[i]
    return a, f"las notas {a} y {a + 1} están en orden invertido (reordenadas)"


def _delete(records):
    numbers = [r["content"]["number"] for r in entries(records)]
    a = numbers[len(numbers) // 2]
    del records[index_of(records, a)]
    return a, f"falta la nota {a} (eliminada)"


def _insert(records):
    numbers = [r["content"]["number"] for r in entries(records)]
    a = numbers[len(numbers) // 2]
    records.insert(index_of(records, a) + 1, copy.deepcopy(entry(records, a)))
    return a, "aparece dos veces (insertada)"


def _truncate(records):
    last = entries(records)[-1]["content"]["number"]
    del records[index_of(records, last)]
    return last, "final truncado"


def _header_data(records):
    records[0]["titulo"] = "Otra bitácora"
    return None, "la cabecera del archivo tiene datos de más"


def _other_logbook(records):
    records[0]["logbook"] = "00000000-0000-0000-0000-000000000000"
    return None, "es de otra bitácora"


CHANGES = {
    "summary": _edit_summary,
    "field": _edit_field,
    "author": _edit_author,
    "entry date": _edit_date,
    "countersign rule": _edit_countersign_rule,
    "author's signature role": _edit_author_role,
    "countersignature date": _edit_signed_at,
    "countersignature role": _edit_role,
    "countersignature method": _edit_method,
    "signer's name": _edit_signer_name,
    "drawn signature": _edit_drawing,
    "drawn signature and its hash": _edit_drawing_and_its_hash,
    "tacit acceptance date": _tacit_date,
    "tacit acceptance made a countersignature": _tacit_to_countersigned,
    "countersignature removed": _drop_countersignature,
    "countersignature moved": _move_signature,
    "stored hash": _edit_stored_hash,
    "data outside the content": _extra_data,
    "checkpoint date": _edit_checkpoint_date,
    "key record": _edit_key_record,
    "certified key's owner": _edit_certified_owner,
    "reordered pair": _reorder,
    "deleted entry": _delete,
    "inserted entry": _insert,
    "truncated tail": _truncate,
    "header's logbook": _other_logbook,
    "data added to the header": _header_data,
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_each_kind_of_change_is_caught_and_named(copy_of, change):
    records = lines(copy_of)
    number, words = CHANGES[change](records)
    write(copy_of, records)
    report = verdict(copy_of)
    assert not report.ok, change
    assert words in report.problem.reason, report.summary()
    if number is not None:
        assert report.problem.number == number, report.summary()


@pytest.mark.parametrize("pin", [False, True], ids=["without --desk-key", "with --desk-key"])
def test_a_swapped_key_is_caught(copy_of, demo, pin):
    """The forger replaces the customer's key with one it holds and signs the customer's
    countersignatures again with it (it cannot sign as the desk or the other signers): the
    key is not the one the opening certified."""
    from soporte.logbook.chain import fingerprint, hints_for, public_key_hex, sign, statement_bytes

    records = lines(copy_of)
    _record, att = countersigned(records)
    old = att["key"]
    forged = Ed25519PrivateKey.generate()
    new_fp = fingerprint(public_key_hex(forged))
    for record in records:
        if record.get("type") == "key" and record["key"] == old:
            record["key"], record["public_key"] = new_fp, public_key_hex(forged)
    for a in attestations(records):
        if a["key"] == old:
            a["key"] = new_fp
            a.pop("hints")
            a["hints"] = hints_for(a)
            a["signature"] = sign(forged, statement_bytes(a))
    write(copy_of, records)
    report = verdict(copy_of, desk_key=grouped(demo["desk_key"]) if pin else None)
    assert not report.ok
    # The first entry the customer signed as author (a portal request) or the opening that
    # certified the key: either way the key is not the one certified.
    assert "no está en el archivo" in report.problem.reason, report.summary()
    assert demo["customer"] in report.problem.reason


def test_a_file_re_signed_wholesale_with_new_keys_fails_with_the_desk_key_pin(copy_of, demo):
    records = lines(copy_of)
    new = {r["key"]: Ed25519PrivateKey.generate() for r in records if r.get("type") == "key"}
    resign(records, new)
    write(copy_of, records)
    alone = verdict(copy_of)
    assert alone.ok, alone.summary()  # self-consistent: only the pin tells it from the real one
    assert alone.desk_key != demo["desk_key"]
    pinned = verdict(copy_of, desk_key=grouped(demo["desk_key"]))
    assert not pinned.ok
    assert "no es la indicada con --desk-key" in pinned.problem.reason


def test_a_history_cut_back_to_an_older_checkpoint_is_caught_by_the_customers_checkpoint(
    copy_of, demo
):
    records = lines(copy_of)
    held = json.loads(demo["held"].read_text())["checkpoint"]
    older = next(
        r
        for r in records
        if r.get("type") == "checkpoint"
        and r.get("v") == 2
        and r["created_at"] < held["created_at"]
    )
    write(copy_of, roll_back(records, older))
    alone = verdict(copy_of)
    assert alone.ok, alone.summary()  # an older, validly signed history on its own
    report = verdict(copy_of, checkpoints=[str(demo["held"])])
    assert not report.ok
    assert report.problem.number == older["entries"] + 1
    assert f"falta la nota {older['entries'] + 1}" in report.problem.reason
    assert "historia recortada" in report.problem.reason


def test_a_rewritten_history_is_caught_by_the_customers_checkpoint(copy_of, demo):
    records = lines(copy_of)
    held = json.loads(demo["held"].read_text())["checkpoint"]
    record = entry(records, held["entries"] - 1)
    record["content"]["summary"] = "Reescrita"
    new = {r["key"]: Ed25519PrivateKey.generate() for r in records if r.get("type") == "key"}
    resign(records, new)
    write(copy_of, records)
    report = verdict(copy_of, checkpoints=[str(demo["held"])])
    assert not report.ok
    assert "no la del archivo" in report.problem.reason or "reescrita" in report.problem.reason
