"""Bitácora verify benchmark: `soporte logbook verify` on a 1,000,000-entry export.

    .venv/bin/python bench/logbook_verify.py                  # 1,000,000 entries
    .venv/bin/python bench/logbook_verify.py --quick          # 20,000 entries, smoke run
    .venv/bin/python bench/logbook_verify.py --file F --keep  # reuse (or keep) the export

The export is built without a database, in format 2: contents shaped like
`services.entry_content` (with `signed_by`, `countersign`, the opening's certified keys and
the hints), the entry chain from `chain.chain_hash`, the author's Ed25519 signature over
`chain.entry_message(hash)`, and the attestations a real contract has: the customer
countersigns the opening and every other maintenance entry (1 in 14 entries), the desk's
system signer tacitly accepts the rest of them (another 1 in 14), chained by `seq`. Eight
keys (a supervisor, four agents, the customer, the desk), a signed checkpoint every 100,000
entries and the export checkpoint in the header. A sample of contents and attestations is
rebuilt from unsaved model instances through `services` to prove the shape is the real one.

Then, in the same run:
  1. the bare rate of `Ed25519PublicKey.verify` on one core for ~5 s (the ceiling of a
     single-process verifier), over the file's own messages and signatures;
  2. `soporte logbook verify FILE` as a subprocess, default workers (one per core);
  3. the bare rate again, since this shared VM drifts; the verdict uses the higher of the two;
  4. `verify_file(FILE, workers=1)` in-process: the per-core efficiency of the verifier.
The issue's bar: the command verifies at >= 70 % of the bare one-core rate (exit status 2 if
not). Rates per CPU second are printed too: they hold up when other work shares the cores.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import multiprocessing as mp
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.70
CHECKPOINT_EVERY = 100_000
BATCH = 5_000

LOGBOOK_UID = str(uuid.UUID("5e0b1c2a-7d1f-4c9e-9a53-0c0ffee00001"))
START_AT = dt.datetime(2026, 1, 5, 14, 0, tzinfo=dt.UTC)
SUPERVISOR = (2, "Sofía Ramírez")
AGENTS = [(3, "Diego Castillo"), (4, "Lucía Hernández"), (5, "Andrés Núñez"), (6, "Marta Peña")]
DESK = (None, "Mesa de ayuda")
MAINTENANCE = {
    "user_name": "Roberto Sánchez",
    "evaluated_date": "2026-11-23",
    "addressee_name": "Diego Castillo",
    "damage_at": "2026-11-22T17:40",
    "description": "La impresora de almacén no imprime y muestra luz ámbar.",
    "device_data": "HP LaserJet M404dn, serie VNB3K12345",
    "general_data": "Almacén, planta baja",
    "diagnosis": "Rodillo de alimentación desgastado.",
    "observations": "Se sustituyó el rodillo; quedó imprimiendo.",
    "reporting_name": "Roberto Sánchez",
}
OPENING = {
    "desk_party": "Mesa de ayuda Soporte, Ciudad de México",
    "customer_party": "Ferretería Anáhuac",
    "contract": "CS-2026-014, soporte mensual",
    "scope": "Equipos de cómputo e impresoras de la sucursal",
    "deadline_days": "2",
    "signers": "Sofía Ramírez (Mesa de ayuda); Roberto Sánchez (Cliente)",
}


# --- The synthetic logbook: every entry is a pure function of its number ----------------------

CUSTOMER = (7, "Roberto Sánchez")
SYSTEM = (8, "Sistema de la mesa")  # the desk's named system signer; its key is the desk's


def private_key(owner_id: int | None) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = hashlib.sha256(f"soporte-bench-key/{owner_id}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def fingerprint_of(owner_id: int | None) -> str:
    from soporte.logbook.chain import fingerprint, public_key_hex

    return fingerprint(public_key_hex(private_key(owner_id)))


def iso_ms(moment: dt.datetime) -> str:
    from soporte.logbook.chain import iso_ms as chain_iso_ms

    return chain_iso_ms(moment)


def created_at(number: int) -> dt.datetime:
    return START_AT + dt.timedelta(seconds=37 * (number - 1), milliseconds=number % 1000)


def author_of(number: int) -> tuple[int, str]:
    return SUPERVISOR if number == 1 else AGENTS[number % len(AGENTS)]


def signer_key(owner_id: int | None) -> int | None:
    return None if owner_id == SYSTEM[0] else owner_id


def trust_keys() -> list[dict[str, Any]]:
    """What the opening certifies: the desk's key (system), the staff's and the customer's."""
    items = [
        {
            "key": fingerprint_of(None),
            "owner": {"id": SYSTEM[0], "name": SYSTEM[1]},
            "side": "desk",
            "system": True,
        }
    ]
    for owner_id, name in [SUPERVISOR, *AGENTS]:
        items.append(
            {
                "key": fingerprint_of(owner_id),
                "owner": {"id": owner_id, "name": name},
                "side": "desk",
            }
        )
    items.append(
        {
            "key": fingerprint_of(CUSTOMER[0]),
            "owner": {"id": CUSTOMER[0], "name": CUSTOMER[1]},
            "side": "customer",
        }
    )
    return items


def entry_content(number: int) -> dict[str, Any]:
    """Entry `number`'s content (format 2): notes, maintenance, calls, the odd annulment."""
    from soporte.logbook.chain import hints_for

    author_id, author_name = author_of(number)
    ticket = str(10_000 + number // 7)
    subject = {"type": "ticket", "id": ticket, "label": f"Ticket {ticket}: impresora de almacén"}
    references = None
    countersign = False
    trust = None
    if number == 1:
        kind, summary, fields = "opening", "Apertura de la bitácora CS-2026-014", dict(OPENING)
        subject = {"type": "", "id": "", "label": ""}
        countersign, trust = True, {"keys": trust_keys()}
    elif number % 7 == 0:
        kind, summary = "corrective", "Impresora de almacén: cambio de rodillo"
        fields = {**MAINTENANCE, "responsible_name": author_name}
        countersign = True
    elif number % 11 == 0:
        kind, summary = (
            "call",
            "Llamada del 2026-01-05 14:02 de Roberto Sánchez. Resultado: resuelta.",
        )
        fields = {
            "when": "2026-01-05 14:02",
            "who": "Roberto Sánchez",
            "agent": author_name,
            "outcome": "Resuelta",
        }
        subject = {"type": "call", "id": str(number), "label": "+52 55 5555 0142"}
    elif number % 10_007 == 0:
        kind, summary, references = "annulment", f"Se anula la nota {number - 1}", number - 1
        fields = {"reason": "Se registró en el ticket equivocado."}
    else:
        kind, summary = "note", f"Seguimiento {number}: se revisó el equipo con el cliente."
        fields = {"observations": "Sin novedad; el cliente confirma que funciona."}
    content: dict[str, Any] = {
        "logbook": LOGBOOK_UID,
        "number": number,
        "kind": kind,
        "created_at": iso_ms(created_at(number)),
        "author": {"id": author_id, "name": author_name},
        "summary": summary,
        "fields": fields,
        "references": references,
        "subject": subject,
        "v": 2,
        "signed_by": {
            "key": fingerprint_of(author_id),
            "role": "desk_rep" if number == 1 else "responsible",
            "method": "on_create",
        },
        "countersign": countersign,
    }
    if trust:
        content["trust"] = trust
    content["hints"] = hints_for(content)
    return content


def attestation_for(number: int) -> dict[str, Any] | None:
    """The customer countersigns the opening and every other maintenance entry an hour
    later; the rest of the maintenance entries are tacitly accepted after two days (signed
    by the desk's key). Returned without seq, prev and entry_hash."""
    if number != 1 and number % 7:
        return None
    at = created_at(number)
    if number == 1 or (number // 7) % 2 == 0:
        return {
            "type": "countersignature",
            "logbook": LOGBOOK_UID,
            "entry": number,
            "entries": number,
            "key": fingerprint_of(CUSTOMER[0]),
            "signer": {"id": CUSTOMER[0], "name": CUSTOMER[1]},
            "role": "customer_rep" if number == 1 else "reporting",
            "method": "portal",
            "signed_at": iso_ms(at + dt.timedelta(hours=1)),
            "drawing_sha256": None,
        }
    return {
        "type": "tacit",
        "logbook": LOGBOOK_UID,
        "entry": number,
        "entries": number,
        "key": fingerprint_of(None),
        "signer": {"id": SYSTEM[0], "name": SYSTEM[1]},
        "at": iso_ms(at + dt.timedelta(days=2)),
    }


def chain_batch(numbers: range) -> list[bytes]:
    """Canonical content bytes of these entries (a pool worker's job)."""
    from soporte.logbook.chain import canonical

    return [canonical(entry_content(n)) for n in numbers]


def sign_batch(jobs: list[tuple[int | None, bytes]]) -> list[str]:
    """Sign (owner, message) pairs with each owner's key (a pool worker's job)."""
    from soporte.logbook.chain import sign

    keys: dict[int | None, Any] = {}
    out = []
    for owner, message in jobs:
        key = keys.get(owner) or keys.setdefault(owner, private_key(owner))
        out.append(sign(key, message))
    return out


def model_instances() -> tuple[Any, dict[int | None, Any]]:
    """Unsaved Logbook, users and keys, so the real functions shape the records."""
    from soporte.directory.models import Organisation, Role, User
    from soporte.logbook.chain import public_key_hex
    from soporte.logbook.models import Logbook, SigningKey

    org = Organisation(pk=1, name="Ferretería Anáhuac")
    logbook = Logbook(
        pk=1,
        uid=uuid.UUID(LOGBOOK_UID),
        kind="customer",
        organisation=org,
        title="Bitácora del contrato CS-2026-014",
        contract_reference="CS-2026-014",
        countersign_days=2,
    )
    keys: dict[int | None, Any] = {}
    for owner_id, name in [SUPERVISOR, *AGENTS, CUSTOMER, SYSTEM]:
        first, _sep, last = name.partition(" ")
        role = Role.CUSTOMER if owner_id == CUSTOMER[0] else Role.AGENT
        user = User(pk=owner_id, first_name=first, last_name=last, role=role)
        key_owner = signer_key(owner_id)
        keys[owner_id] = SigningKey(
            pk=len(keys) + 1,
            user=user if key_owner is not None else None,
            is_desk=key_owner is None,
            key_id=fingerprint_of(key_owner),
            public_key=public_key_hex(private_key(key_owner)),
        )
    keys[None] = keys[SYSTEM[0]]
    return logbook, keys


def check_shape_against_models(logbook: Any, keys: dict[int | None, Any], entries: int) -> None:
    """A sample of contents and attestations equals what `services` builds from models."""
    from soporte.directory.models import User
    from soporte.logbook import services
    from soporte.logbook.models import Acceptance, Entry, Signature

    for number in [n for n in [*range(1, 60), 10_006, 10_007] if n <= entries]:
        content = entry_content(number)
        author_id = content["author"]["id"]
        entry = Entry(
            logbook=logbook,
            number=number,
            kind=content["kind"],
            created_at=created_at(number),
            author=keys[author_id].user,
            author_name=content["author"]["name"],
            summary=content["summary"],
            fields=content["fields"],
            references=Entry(pk=number - 1, number=number - 1) if content["references"] else None,
            subject_type=content["subject"]["type"],
            subject_id=content["subject"]["id"],
            subject_label=content["subject"]["label"],
            version=2,
            countersign=content["countersign"],
            trust=content.get("trust", {}),
            entry_hash="ab" * 32,
        )
        signed_by = services.SignedBy(**content["signed_by"])
        assert services.entry_content(entry, signed_by) == content, number
        att = attestation_for(number)
        if att is None:
            continue
        if att["type"] == "countersignature":
            sig = Signature(
                entry=entry,
                signer=keys[CUSTOMER[0]].user,
                signer_name=CUSTOMER[1],
                role=att["role"],
                method="portal",
                key=keys[CUSTOMER[0]],
                drawn_png=None,
                signed_at=created_at(number) + dt.timedelta(hours=1),
                seq=5,
                prev_hash="cd" * 32,
                entries=number,
            )
            real = services.countersignature_record(sig, entry)
        else:
            acceptance = Acceptance(
                entry=entry,
                kind="tacit",
                accepted_at=created_at(number) + dt.timedelta(days=2),
                seq=5,
                prev_hash="cd" * 32,
                entries=number,
                signer=User(pk=SYSTEM[0], first_name=SYSTEM[1], last_name=""),
                key=keys[None],
            )
            real = services.tacit_record(acceptance, entry)
        ours = _finish_attestation(att, 5, "cd" * 32, "ab" * 32)
        assert real == ours, (number, real, ours)


def _finish_attestation(
    att: dict[str, Any], seq: int, prev: str, entry_hash: str
) -> dict[str, Any]:
    from soporte.logbook.chain import hints_for

    record = {**att, "seq": seq, "prev": prev, "entry_hash": entry_hash}
    record["hints"] = hints_for(record)
    return record


def build_export(path: Path, entries: int, workers: int) -> tuple[float, int]:
    """Write the export file; returns (seconds taken, attestations)."""
    from soporte.logbook import export
    from soporte.logbook.chain import (
        GENESIS_HASH,
        chain_hash,
        entry_message,
        hints_for,
        sha256_hex,
        sign,
        statement_bytes,
    )
    from soporte.logbook.verify import FORMAT

    started = time.perf_counter()
    logbook, keys = model_instances()
    check_shape_against_models(logbook, keys, entries)

    batches = [range(a, min(a + BATCH, entries + 1)) for a in range(1, entries + 1, BATCH)]
    hashes: list[str] = [GENESIS_HASH] * (entries + 1)
    atts: dict[int, dict[str, Any]] = {}
    att_hashes: list[str] = [GENESIS_HASH]
    att_at: dict[int, int] = {0: 0}  # entries → attestations made by then
    with mp.get_context("fork").Pool(workers) as pool:
        # Pass 1: the chains, in order (contents serialised in parallel).
        number = 0
        for data in pool.imap(chain_batch, batches):
            for canonical in data:
                number += 1
                hashes[number] = chain_hash(hashes[number - 1], canonical)
                att = attestation_for(number)
                if att is not None:
                    record = _finish_attestation(
                        att, len(att_hashes), att_hashes[-1], hashes[number]
                    )
                    atts[number] = record
                    att_hashes.append(sha256_hex(statement_bytes(record)))
                att_at[number] = len(att_hashes) - 1
        # Pass 2: the signatures, in parallel.
        jobs = [
            (signer_key(author_of(n)[0]), entry_message(hashes[n])) for n in range(1, entries + 1)
        ]
        chunks = [jobs[i : i + BATCH] for i in range(0, len(jobs), BATCH)]
        signatures = [s for part in pool.imap(sign_batch, chunks) for s in part]
        att_jobs = [
            (CUSTOMER[0] if a["type"] == "countersignature" else None, statement_bytes(a))
            for _n, a in sorted(atts.items())
        ]
        att_chunks = [att_jobs[i : i + BATCH] for i in range(0, len(att_jobs), BATCH)]
        att_sigs = [s for part in pool.imap(sign_batch, att_chunks) for s in part]
    for (_n, record), signature in zip(sorted(atts.items()), att_sigs, strict=True):
        record["signature"] = signature

    desk = private_key(None)

    def checkpoint(number: int) -> dict[str, Any]:
        at = created_at(number) + dt.timedelta(seconds=5)
        record = {
            "type": "checkpoint",
            "v": 2,
            "logbook": LOGBOOK_UID,
            "entries": number,
            "entry_head": hashes[number],
            "attestations": att_at[number],
            "attestation_head": att_hashes[att_at[number]],
            "created_at": iso_ms(at),
            "key": fingerprint_of(None),
            "tsa_ca": None,
        }
        record["hints"] = hints_for(record)
        record["signature"] = sign(desk, statement_bytes(record))
        return record

    header = {"format": FORMAT, "logbook": LOGBOOK_UID, "checkpoint": checkpoint(entries)}
    records = (
        {
            "type": "entry",
            "content": entry_content(n),
            "prev_hash": hashes[n - 1],
            "hash": hashes[n],
            "signature": signatures[n - 1],
            "attestations": [atts[n]] if n in atts else [],
        }
        for n in range(1, entries + 1)
    )
    unique_keys = {k.key_id: k for k in keys.values()}
    with open(path, "wb", buffering=1 << 20) as handle:
        export.write_records(
            handle,
            header=header,
            keys=[export.key_record(k) for k in unique_keys.values()],
            checkpoints=[checkpoint(n) for n in range(CHECKPOINT_EVERY, entries, CHECKPOINT_EVERY)],
            entries=records,
        )
    return time.perf_counter() - started, len(atts)


# --- Measurements ----------------------------------------------------------------------------


def bare_verify_rate(path: Path, seconds: float) -> tuple[float, float]:
    """Ed25519PublicKey.verify alone, one core, over the file's first signatures (the
    entries' and the attestations', in the file's mix).

    Returns (signatures per wall second, per CPU second): on a busy machine the two differ.
    """
    import json

    from soporte.logbook.chain import entry_message, load_public_key, statement_bytes
    from soporte.logbook.verify import read_head

    head = read_head(str(path))
    public = {kid: load_public_key(k["public_key"]) for kid, k in head.keys.items()}
    samples = []
    with open(path, "rb") as handle:
        handle.seek(head.entries_offset)
        for _ in range(1000):
            line = handle.readline()
            if not line:
                break
            record = json.loads(line)
            samples.append(
                (
                    public[record["content"]["signed_by"]["key"]],
                    base64.b64decode(record["signature"]),
                    entry_message(record["hash"]),
                )
            )
            for att in record["attestations"]:
                samples.append(
                    (public[att["key"]], base64.b64decode(att["signature"]), statement_bytes(att))
                )
    done = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for key, signature, message in samples:
            key.verify(signature, message)
        done += len(samples)
    return (
        done / (time.perf_counter() - started),
        done / (time.process_time() - cpu_started),
    )


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(path: Path, env: dict[str, str]) -> tuple[float, float, int, int, str]:
    """`soporte logbook verify FILE`: (seconds, CPU seconds, entries, signatures, stderr)."""
    cpu_started = children_cpu()
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "soporte.cli", "logbook", "verify", str(path)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    cpu = children_cpu() - cpu_started  # the command and its pool workers, all reaped
    if proc.returncode != 0:
        raise SystemExit(f"verify failed ({proc.returncode}): {proc.stdout}{proc.stderr}")
    match = re.search(r"OK: (\d+) notas, (\d+) firmas", proc.stdout)
    if not match:
        raise SystemExit(f"unexpected output: {proc.stdout}")
    return elapsed, cpu, int(match[1]), int(match[2]), proc.stderr


def progress_bar_note(stderr: str, size: int) -> str:
    frames = [f for f in re.split(r"[\r\n]", stderr) if f.strip()]
    if size < 8 << 20:
        return f"off (file is {size / 1e6:.1f} MB; the command shows it from 8 MB)"
    if not frames or "Verificando" not in frames[-1]:
        return "NOT SHOWN (expected for a file of this size)"
    return f"shown ({len(frames)} frames on stderr, last: {frames[-1].strip()!r})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 entries: a smoke run")
    parser.add_argument("--file", type=Path, help="export to reuse if present, else to write")
    parser.add_argument("--keep", action="store_true", help="keep the export file")
    parser.add_argument("--bare-seconds", type=float, default=5.0)
    parser.add_argument("--skip-single", action="store_true", help="skip the workers=1 run")
    args = parser.parse_args()
    entries = 20_000 if args.quick else args.entries

    var_dir = Path(tempfile.mkdtemp(prefix="soporte-bench-verify-"))
    os.environ.update({"DJANGO_SETTINGS_MODULE": "soporte.settings", "VAR_DIR": str(var_dir)})
    os.environ.pop("DATABASE_URL", None)  # the bench never touches a database
    import django

    django.setup()
    from soporte.logbook.verify import verify_file

    path = args.file or var_dir / f"bitacora-{entries}.jsonl"
    cores = os.cpu_count() or 1
    print(f"# logbook verify: {entries:,} entries")
    print(f"# {platform.platform()}, {cores} CPUs, Python {platform.python_version()}")
    load_before = os.getloadavg()
    expected_sigs = entries + sum(1 for n in range(1, entries + 1) if attestation_for(n))
    if path.exists():
        print(f"export              reusing {path}")
    else:
        seconds, attestations = build_export(path, entries, workers=cores)
        print(
            f"export              built {path} in {seconds:.1f} s "
            f"({entries:,} entries, {attestations:,} attestations)"
        )
    size = path.stat().st_size
    print(f"file                {size / 1e6:,.0f} MB")

    bare, bare_cpu = bare_verify_rate(path, args.bare_seconds)
    print(
        f"bare Ed25519 verify {bare:,.0f} signatures/s on one core over {args.bare_seconds:.0f} s "
        f"({bare_cpu:,.0f} per CPU second)"
    )

    elapsed, cpu, verified, sigs, stderr = run_command(path, dict(os.environ))
    if verified != entries or sigs != expected_sigs:
        raise SystemExit(
            f"verified {verified} entries / {sigs} signatures, expected {entries} / {expected_sigs}"
        )
    rate = sigs / elapsed
    print(
        f"soporte logbook verify  {elapsed:.1f} s for {sigs:,} signatures ({cores} workers, "
        f"Django start-up included): {rate:,.0f} /s = {rate / bare:.0%} of the bare one-core "
        f"rate (target >= {TARGET_RATIO:.0%})"
    )
    print(
        f"    CPU {cpu:.1f} s: {sigs / cpu:,.0f} signatures per CPU second = "
        f"{sigs / cpu / bare_cpu:.0%} of bare per CPU second (the verifier's overhead)"
    )
    print(f"progress bar        {progress_bar_note(stderr, size)}")
    after, _after_cpu = bare_verify_rate(path, args.bare_seconds)
    print(
        f"bare rate again     {after:,.0f} signatures/s; against the higher of the two bare "
        f"rates the command ran at {rate / max(bare, after):.0%}"
    )

    if not args.skip_single:
        started, cpu_started = time.perf_counter(), time.process_time()
        report = verify_file(str(path), workers=1)
        single, single_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        assert report.ok, report.summary()
        print(
            f"verify_file(workers=1) {single:.1f} s: {report.signatures / single:,.0f} /s = "
            f"{report.signatures / single / bare:.0%} of bare; per CPU second "
            f"{report.signatures / single_cpu / bare_cpu:.0%} of bare"
        )
    load_after = os.getloadavg()
    print(f"load average        {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"finished            {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")

    if not args.keep and args.file is None:
        path.unlink()
    if not args.keep:
        for leftover in var_dir.iterdir():
            if leftover != path:
                leftover.unlink()
        if not any(var_dir.iterdir()):
            var_dir.rmdir()
    return 0 if rate / max(bare, after) >= TARGET_RATIO else 2


if __name__ == "__main__":
    sys.exit(main())
