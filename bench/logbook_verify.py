"""Bitácora verify benchmark: `soporte logbook verify` on a 1,000,000-entry export.

    .venv/bin/python bench/logbook_verify.py                  # 1,000,000 entries
    .venv/bin/python bench/logbook_verify.py --quick          # 20,000 entries, smoke run
    .venv/bin/python bench/logbook_verify.py --file F --keep  # reuse (or keep) the export

The export is built without a database: contents shaped like `services.entry_content`, the
hash chain from `chain.chain_hash`, one Ed25519 signature by the entry's author over
`chain.canonical_bytes(content)`, six keys (a supervisor, four agents, the desk), a signed
checkpoint every 100,000 entries and the export checkpoint in the header, all written by
`export.write_records`. A sample of entries is rebuilt from unsaved model instances through
`services.entry_content` and `export.signature_record` to prove the shape is the real one.

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
from collections.abc import Iterator
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


def private_key(owner_id: int | None) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    seed = hashlib.sha256(f"soporte-bench-key/{owner_id}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def key_id(owner_id: int | None) -> str:
    from soporte.logbook.chain import key_id_for, public_key_hex

    return key_id_for(public_key_hex(private_key(owner_id)))


def iso_ms(moment: dt.datetime) -> str:
    from soporte.logbook.chain import iso_ms as chain_iso_ms

    return chain_iso_ms(moment)


def created_at(number: int) -> dt.datetime:
    return START_AT + dt.timedelta(seconds=37 * (number - 1), milliseconds=number % 1000)


def author_of(number: int) -> tuple[int, str]:
    return SUPERVISOR if number == 1 else AGENTS[number % len(AGENTS)]


def entry_parts(number: int) -> tuple[dict[str, Any], str]:
    """(content, role) of entry `number`: notes, maintenance, calls, the odd annulment."""
    author_id, author_name = author_of(number)
    ticket = str(10_000 + number // 7)
    subject = {"type": "ticket", "id": ticket, "label": f"Ticket {ticket}: impresora de almacén"}
    references = None
    if number == 1:
        kind, summary, fields = "opening", "Apertura de la bitácora CS-2026-014", dict(OPENING)
        subject = {"type": "", "id": "", "label": ""}
    elif number % 7 == 0:
        kind, summary = "corrective", "Impresora de almacén: cambio de rodillo"
        fields = {**MAINTENANCE, "responsible_name": author_name}
    elif number % 11 == 0:
        kind, summary = "call", "Llamada entrante de Ferretería Anáhuac (2 min 14 s)"
        fields = {"caller": "+52 55 5555 0142", "queue": "soporte", "duration_s": "134"}
        subject = {"type": "call", "id": str(number), "label": "+52 55 5555 0142"}
    elif number % 10_007 == 0:
        kind, summary, references = "annulment", f"Se anula la nota {number - 1}", number - 1
        fields = {"reason": "Se registró en el ticket equivocado."}
    else:
        kind, summary = "note", f"Seguimiento {number}: se revisó el equipo con el cliente."
        fields = {"observations": "Sin novedad; el cliente confirma que funciona."}
    content = {
        "logbook": LOGBOOK_UID,
        "number": number,
        "kind": kind,
        "created_at": iso_ms(created_at(number)),
        "author": {"id": author_id, "name": author_name},
        "summary": summary,
        "fields": fields,
        "references": references,
        "subject": subject,
    }
    return content, "desk_rep" if number == 1 else "responsible"


_SIGNERS: dict[int, Any] = {}


def sign_batch(numbers: range) -> tuple[list[bytes], list[str]]:
    """Canonical bytes and author signatures of these entries (a pool worker's job)."""
    from soporte.logbook.chain import canonical_bytes, sign

    data, signatures = [], []
    for number in numbers:
        content, _role = entry_parts(number)
        canonical = canonical_bytes(content)
        author_id = content["author"]["id"]
        signer = _SIGNERS.get(author_id) or _SIGNERS.setdefault(author_id, private_key(author_id))
        data.append(canonical)
        signatures.append(sign(signer, canonical))
    return data, signatures


def entry_record(number: int, prev_hash: str, entry_hash: str, signature: str) -> dict[str, Any]:
    """The dict `export.entry_record` writes for such an entry."""
    content, role = entry_parts(number)
    author_id, author_name = author_of(number)
    at = created_at(number)
    return {
        "type": "entry",
        "content": content,
        "prev_hash": prev_hash,
        "hash": entry_hash,
        "signatures": [
            {
                "key_id": KEY_IDS[author_id],
                "signer": {"id": author_id, "name": author_name},
                "role": role,
                "method": "on_create",
                "signed_at": iso_ms(at),
                "signature": signature,
                "drawn_png": None,
            }
        ],
        "acceptance": (
            {"kind": "tacit", "at": iso_ms(at + dt.timedelta(days=2))}
            if content["kind"] not in ("annulment",)
            else None
        ),
    }


KEY_IDS: dict[int | None, str] = {}


def model_instances() -> tuple[Any, dict[int | None, Any]]:
    """Unsaved Logbook, users and keys, so the real export functions shape the records."""
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
    for owner_id, name in [SUPERVISOR, *AGENTS, DESK]:
        user = None
        if owner_id is not None:
            first, last = name.split(" ", 1)
            role = Role.SUPERVISOR if owner_id == SUPERVISOR[0] else Role.AGENT
            user = User(pk=owner_id, first_name=first, last_name=last, role=role)
        keys[owner_id] = SigningKey(
            pk=len(keys) + 1,
            user=user,
            is_desk=owner_id is None,
            key_id=key_id(owner_id),
            public_key=public_key_hex(private_key(owner_id)),
        )
    return logbook, keys


def check_shape_against_models(logbook: Any, keys: dict[int | None, Any], entries: int) -> None:
    """A sample of records equals what services/export build from model instances."""
    from soporte.logbook import export, services
    from soporte.logbook.models import Entry, Signature

    sample = [n for n in [*range(1, 201), 10_006, 10_007] if n <= entries]
    for number in sample:
        (canonical,), (signature,) = sign_batch(range(number, number + 1))
        content, role = entry_parts(number)
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
        )
        real = services.entry_content(entry)
        assert real == content, (number, real, content)
        assert services.entry_bytes(entry) == canonical, number
        sig = Signature(
            entry=entry,
            signer=keys[author_id].user,
            signer_name=content["author"]["name"],
            role=role,
            method="on_create",
            key=keys[author_id],
            signature=signature,
            drawn_png=None,
            signed_at=created_at(number),
        )
        ours = entry_record(number, "0" * 64, "0" * 64, signature)
        assert ours["signatures"] == [export.signature_record(sig)], number


def chained(entries: int, workers: int) -> Iterator[tuple[int, str, str, str]]:
    """(number, prev_hash, hash, signature) in order; signing runs in a process pool."""
    from soporte.logbook.chain import GENESIS_HASH, chain_hash

    batches = [range(a, min(a + BATCH, entries + 1)) for a in range(1, entries + 1, BATCH)]
    prev = GENESIS_HASH
    number = 0
    with mp.get_context("fork").Pool(workers) as pool:
        for data, signatures in pool.imap(sign_batch, batches):
            for canonical, signature in zip(data, signatures, strict=True):
                number += 1
                entry_hash = chain_hash(prev, canonical)
                yield number, prev, entry_hash, signature
                prev = entry_hash


def build_export(path: Path, entries: int, workers: int) -> float:
    """Write the export file; returns seconds taken."""
    from soporte.logbook import export
    from soporte.logbook.chain import checkpoint_message, sign
    from soporte.logbook.models import Checkpoint
    from soporte.logbook.verify import FORMAT

    started = time.perf_counter()
    logbook, keys = model_instances()
    KEY_IDS.update({owner: key.key_id for owner, key in keys.items()})
    check_shape_against_models(logbook, keys, entries)

    # Pass 1: sign in parallel, chain in order, keep hash and signature per entry (the header
    # needs the last hash before the first entry is written).
    hashes: list[str] = [""] * (entries + 1)
    signatures: list[str] = [""] * (entries + 1)
    for number, _prev, entry_hash, signature in chained(entries, workers):
        hashes[number], signatures[number] = entry_hash, signature
    hashes[0] = "0" * 64

    desk = private_key(None)

    def checkpoint(number: int) -> dict[str, Any]:
        at = created_at(number) + dt.timedelta(seconds=5)
        message = checkpoint_message(LOGBOOK_UID, number, hashes[number], iso_ms(at))
        cp = Checkpoint(
            number=number,
            head_hash=hashes[number],
            created_at=at,
            key=keys[None],
            signature=sign(desk, message),
        )
        return export.checkpoint_record(cp)

    final = checkpoint(entries)
    header = {
        "format": FORMAT,
        "logbook": {
            "uid": LOGBOOK_UID,
            "title": logbook.title,
            "kind": logbook.kind,
            "organisation": str(logbook.organisation),
            "contract_reference": logbook.contract_reference,
            "countersign_days": logbook.countersign_days,
        },
        "exported_at": final["created_at"],
        "checkpoint": final,
    }
    records = (
        entry_record(n, hashes[n - 1], hashes[n], signatures[n]) for n in range(1, entries + 1)
    )
    with open(path, "wb", buffering=1 << 20) as handle:
        export.write_records(
            handle,
            header=header,
            keys=[export.key_record(k) for k in keys.values()],
            checkpoints=[checkpoint(n) for n in range(CHECKPOINT_EVERY, entries, CHECKPOINT_EVERY)],
            entries=records,
        )
    return time.perf_counter() - started


# --- Measurements ----------------------------------------------------------------------------


def bare_verify_rate(path: Path, seconds: float) -> tuple[float, float]:
    """Ed25519PublicKey.verify alone, one core, over the file's first messages.

    Returns (signatures per wall second, per CPU second): on a busy machine the two differ.
    """
    import json

    from soporte.logbook.chain import canonical_bytes, load_public_key
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
            sig = record["signatures"][0]
            samples.append(
                (
                    public[sig["key_id"]],
                    base64.b64decode(sig["signature"]),
                    canonical_bytes(record["content"]),
                )
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
    if path.exists():
        print(f"export              reusing {path}")
    else:
        seconds = build_export(path, entries, workers=cores)
        print(f"export              built {path} in {seconds:.1f} s")
    size = path.stat().st_size
    print(f"file                {size / 1e6:,.0f} MB")

    bare, bare_cpu = bare_verify_rate(path, args.bare_seconds)
    print(
        f"bare Ed25519 verify {bare:,.0f} signatures/s on one core over {args.bare_seconds:.0f} s "
        f"({bare_cpu:,.0f} per CPU second)"
    )

    elapsed, cpu, verified, sigs, stderr = run_command(path, dict(os.environ))
    if verified != entries or sigs != entries:
        raise SystemExit(f"verified {verified} entries / {sigs} signatures, expected {entries}")
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
