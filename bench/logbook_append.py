"""Bitácora append benchmark: many writer processes, one logbook, a gap-free fork-free chain.

    .venv/bin/python bench/logbook_append.py                       # 100,000 entries, 8 writers, SQLite
    .venv/bin/python bench/logbook_append.py --database postgres
    .venv/bin/python bench/logbook_append.py --quick               # 2,000 entries, smoke run

Each writer is its own Django process calling `services.append_entry` in a loop, one entry
per transaction, exactly as a view or a task does. The run uses a fresh VAR_DIR (SQLite) or a
fresh PostgreSQL database, migrated with `soporte migrate`, with a supervisor, an agent and a
customer logbook opened through `services.open_logbook`. Afterwards it reads the whole chain
back and checks that the numbers are 1..N with no gap, that every entry names the previous
entry's hash (no fork), and that every stored hash recomputes from the entry's content.

SQLite runs with synchronous=FULL (one fsync per commit), so the figure is bounded by the
disk's fsync latency and by how SQLite's busy handler queues the writers; that is the point.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


@dataclass
class WriterResult:
    index: int
    appended: int = 0
    retried: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    finished_at: float = 0.0


def django_env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "soporte.settings"
    env["VAR_DIR"] = str(var_dir)
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def soporte(*args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "soporte.cli", *args], cwd=PROJECT_DIR, env=env, check=True
    )


def setup_logbook() -> tuple[int, int]:
    """Users and an opened customer logbook, as in the tests' fixtures. Returns ids."""
    from soporte.directory.models import Organisation, Role, User
    from soporte.lib import clock
    from soporte.logbook import keys, services

    now = clock.now()
    org = Organisation.objects.create(name="Ferretería Anáhuac", contract_reference="CS-2026-014")
    supervisor = User.objects.create_user(
        "sofia.supervisora", first_name="Sofía", last_name="Ramírez", role=Role.SUPERVISOR
    )
    agent = User.objects.create_user(
        "diego.agente", first_name="Diego", last_name="Castillo", role=Role.AGENT
    )
    customer = User.objects.create_user(
        "roberto.cliente",
        first_name="Roberto",
        last_name="Sánchez",
        role=Role.CUSTOMER,
        organisation=org,
    )
    logbook = services.open_logbook(
        actor=supervisor,
        organisation=org,
        title="Bitácora del contrato CS-2026-014",
        contract_reference="CS-2026-014",
        countersign_days=2,
        customer_signers=[customer],
        fields={
            "desk_party": "Mesa de ayuda Soporte, Ciudad de México",
            "customer_party": "Ferretería Anáhuac",
            "contract": "CS-2026-014, soporte mensual",
            "scope": "Equipos de cómputo e impresoras de la sucursal",
        },
        now=now,
    )
    # The agent's key exists before the clock starts, as it does for any agent after day one.
    keys.key_for_user(agent, now=now)
    return logbook.pk, agent.pk


def writer(
    index: int,
    count: int,
    logbook_id: int,
    agent_id: int,
    ready: Any,  # multiprocessing Barrier: every writer ready before the clock starts
    results: Any,  # multiprocessing Queue of WriterResult
) -> None:
    """One Django process appending `count` notes, one per transaction."""
    import django

    django.setup()
    from django.db import connection

    from soporte.directory.models import User
    from soporte.lib import clock
    from soporte.logbook import keys
    from soporte.logbook.models import Logbook

    result = WriterResult(index)
    logbook = Logbook.objects.get(pk=logbook_id)
    agent = User.objects.get(pk=agent_id)
    keys.private_key(keys.key_for_user(agent, now=clock.now()))  # decrypt once, cached
    ready.wait(timeout=300)
    try:
        append_many(index, count, logbook, agent, result)
    except BaseException as exc:  # reported by the parent, which then fails the run
        result.errors.append(f"writer {index} stopped: {exc!r}")
        raise
    finally:
        result.finished_at = time.time()
        connection.close()
        results.put(result)


def append_many(index: int, count: int, logbook: Any, agent: Any, result: WriterResult) -> None:
    from django.db import OperationalError

    from soporte.lib import clock
    from soporte.logbook import services
    from soporte.logbook.models import EntryKind

    for i in range(count):
        subject = services.Subject("ticket", str(1000 + (index * count + i) % 5000), "Impresora")
        started = time.perf_counter()  # a retried append counts its failed attempts too
        while True:
            try:
                services.append_entry(
                    logbook=logbook,
                    kind=EntryKind.NOTE,
                    author=agent,
                    summary=f"Seguimiento del escritor {index}, nota {i}: se revisó el equipo.",
                    fields={"observations": "Sin novedad; el cliente confirma que funciona."},
                    subject=subject,
                    now=clock.now(),
                )
            except OperationalError as exc:  # "database is locked" after the busy timeout
                result.retried += 1
                if len(result.errors) < 5:
                    result.errors.append(repr(exc))
                if result.retried > 1000:
                    raise
                continue
            result.latencies.append(time.perf_counter() - started)
            result.appended += 1
            break


def check_chain(logbook_id: int) -> tuple[int, float]:
    """Numbers 1..N, each prev_hash the previous hash, every hash recomputed. Returns (N, s)."""
    from soporte.logbook import services
    from soporte.logbook.chain import GENESIS_HASH, chain_hash
    from soporte.logbook.models import Entry, Logbook, Signature

    started = time.perf_counter()
    logbook = Logbook.objects.get(pk=logbook_id)
    prev_hash, expected, seen_prev = GENESIS_HASH, 1, set()
    entries = (
        Entry.objects.filter(logbook=logbook)
        .select_related("logbook", "references")
        .order_by("number")
    )
    for entry in entries.iterator(chunk_size=5000):
        if entry.number != expected:
            raise SystemExit(f"GAP: expected entry {expected}, found {entry.number}")
        if entry.prev_hash != prev_hash:
            raise SystemExit(f"FORK: entry {entry.number} does not follow {expected - 1}")
        if entry.prev_hash in seen_prev:
            raise SystemExit(f"FORK: two entries follow {entry.prev_hash}")
        seen_prev.add(entry.prev_hash)
        if chain_hash(prev_hash, services.entry_bytes(entry)) != entry.entry_hash:
            raise SystemExit(f"HASH: entry {entry.number} does not recompute")
        prev_hash = entry.entry_hash
        expected += 1
    total = expected - 1
    if (logbook.head_number, logbook.head_hash) != (total, prev_hash):
        raise SystemExit(f"HEAD: logbook head {logbook.head_number} but chain ends at {total}")
    signatures = Signature.objects.filter(entry__logbook=logbook).count()
    if signatures != total:
        raise SystemExit(f"SIGNATURES: {signatures} for {total} entries")
    return total, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="2,000 entries: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the VAR_DIR / database")
    args = parser.parse_args()
    entries = 2_000 if args.quick else args.entries

    var_dir = Path(tempfile.mkdtemp(prefix="soporte-bench-append-"))
    database_url = None
    if args.database == "postgres":
        database_url = f"{PG_SERVER}/soporte_bench_append_{os.getpid()}"
        if subprocess.run([sys.executable, "-m", "soporte.lib.pgcheck", database_url]).returncode:
            return 1
    env = django_env(var_dir, database_url)
    os.environ.update(env)
    if database_url is None:
        os.environ.pop("DATABASE_URL", None)

    print(
        f"# logbook append: {entries:,} entries, {args.writers} writer processes, {args.database}"
    )
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"# VAR_DIR={var_dir}" + (f" DATABASE_URL={database_url}" if database_url else ""))
    soporte("migrate", "--verbosity", "0", env=env)

    import django

    django.setup()
    from django.db import connection

    logbook_id, agent_id = setup_logbook()
    connection.close()

    ctx = mp.get_context("spawn")
    ready = ctx.Barrier(args.writers + 1)
    results: Any = ctx.Queue()
    shares = [entries // args.writers + (n < entries % args.writers) for n in range(args.writers)]
    processes = [
        ctx.Process(target=writer, args=(n, shares[n], logbook_id, agent_id, ready, results))
        for n in range(args.writers)
    ]
    for process in processes:
        process.start()
    load_before = os.getloadavg()
    ready.wait(timeout=300)  # every writer has Django loaded and its connection open
    started = time.time()
    collected: list[WriterResult] = []
    while len(collected) < args.writers:
        collected.append(results.get(timeout=3600))
    stopped = [e for r in collected for e in r.errors if "stopped" in e]
    if stopped:
        print("\n".join(stopped))
        return 1
    elapsed = max(r.finished_at for r in collected) - started
    for process in processes:
        process.join()
    load_after = os.getloadavg()
    failed = [p.exitcode for p in processes if p.exitcode]
    if failed:
        print(f"writer processes failed: exit codes {failed}")
        return 1

    appended = sum(r.appended for r in collected)
    latencies = [x for r in collected for x in r.latencies]
    retried = sum(r.retried for r in collected)
    total, check_s = check_chain(logbook_id)
    if total != appended + 1:
        print(f"expected {appended + 1} entries (with the opening), found {total}")
        return 1

    per_writer = ", ".join(f"{r.appended}" for r in sorted(collected, key=lambda r: r.index))
    print(f"appended            {appended:,} entries in {elapsed:.1f} s ({per_writer} per writer)")
    print(f"throughput          {appended / elapsed:,.0f} entries/s")
    print(
        "append latency      "
        f"p50 {percentile(latencies, 0.50) * 1e3:.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1e3:.1f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1e3:.1f} ms, "
        f"max {max(latencies) * 1e3:.0f} ms, mean {statistics.fmean(latencies) * 1e3:.1f} ms"
    )
    print(f"lock timeouts       {retried} (each retried)")
    for error in [e for r in collected for e in r.errors][:3]:
        print(f"    {error}")
    print(
        f"chain check         OK: numbers 1..{total:,} contiguous, no fork, every hash "
        f"recomputed, head matches, one signature each ({check_s:.1f} s)"
    )
    print(f"load average        {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print(f"finished            {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")

    if not args.keep:
        shutil.rmtree(var_dir, ignore_errors=True)
        if database_url:
            connection.close()
            drop_database(database_url)
    return 0


def drop_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    sys.exit(main())
