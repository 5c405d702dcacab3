"""Inventory benchmarks: stock levels over a million movements, a device's timeline, intake.

    .venv/bin/python bench/inventory/run.py                      # SQLite, everything
    .venv/bin/python bench/inventory/run.py --database postgres  # PostgreSQL (127.0.0.1:5432)
    .venv/bin/python bench/inventory/run.py --quick              # 100,000 movements, 1,000 items

1. Levels: the ledger is seeded with 1,000,000 movements over 10,000 items at two locations
   (receipts at varying costs and partial issues, never negative; half the items FIFO, half
   moving average), valued by the product's own `ledger` engine, with the balances and FIFO
   layers it keeps. Then, repeated: on-hand and value of every item under its own method and
   under both (`reads.stock_values`, what the stock page and export read) — the target is
   under 100 ms — and, for comparison, the raw computation (SUM over the million rows), which
   is also checked equal to the kept balances.
2. Timeline: one device with 1,000 events (tickets, calls, bitácora entries, parts issued to
   it) among other devices' events; `devices.timeline` for it, repeated — target < 50 ms.
3. Intake: `services.receive_stock` (one transaction: the movements, their balances and FIFO
   layers, and a signed bitácora entry), receipts of 20 lines and of 1 line, fsync'd commits;
   target ≥ 1,000 movements/s.

A fresh VAR_DIR (SQLite, WAL, synchronous=FULL) or a fresh PostgreSQL database each run,
migrated with `soporte migrate`; removed afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
D = Decimal


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm: plans, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, min {ordered[0]:.1f} ms (n={len(times)})"


def setup_people():
    from soporte.directory.models import Organisation, Role, User
    from soporte.inventory.models import InventorySettings, Location, LocationKind, Supplier
    from soporte.lib import clock
    from soporte.logbook import keys, services

    now = clock.now()
    org = Organisation.objects.create(name="Ferretería Anáhuac", contract_reference="CS-2026-014")
    User.objects.create_user(
        "sofia.supervisora", first_name="Sofía", last_name="Ramírez", role=Role.SUPERVISOR
    )
    agent = User.objects.create_user(
        "diego.agente", first_name="Diego", last_name="Castillo", role=Role.AGENT
    )
    keys.key_for_user(agent, now=now)
    services.desk_logbook(now=now)
    InventorySettings.objects.get_or_create(pk=1)
    supplier = Supplier.objects.create(name="Distribuidora Cómputo del Bajío")
    shelf = Location.objects.create(code="A", name="Estante A", kind=LocationKind.SHELF)
    van = Location.objects.create(code="V", name="Camioneta", kind=LocationKind.VAN)
    return org, agent, supplier, shelf, van


def seed_ledger(n_items: int, per_item: int, agent, supplier, shelf, van) -> int:
    """Movements, balances and layers computed by `ledger` and inserted in bulk (raw SQL)."""
    from django.db import connection, transaction

    from soporte.inventory import ledger, services
    from soporte.inventory.models import StockItem
    from soporte.lib import clock

    now = clock.now()
    rng = random.Random(11)
    # One real receipt (with its bitácora entry) that the seeded receipts point to.
    first = StockItem.objects.create(sku="SEED-0", name="Pieza de arranque", created_at=now)
    receipt = services.receive_stock(
        actor=agent,
        supplier=supplier,
        location=shelf,
        invoice_number="SEED",
        lines=[services.ReceiptLine(first, D(1), D("1.00"))],
        now=now,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM inventory_stockmovement")
        next_id = cursor.fetchone()[0] + 1
    StockItem.objects.bulk_create(
        [
            StockItem(
                sku=f"SKU-{n:05d}",
                name=f"Pieza {n}",
                cost_method="fifo" if n % 2 else "average",
                reorder_point=D(5),
                target_level=D(40),
                created_at=now,
            )
            for n in range(n_items)
        ],
        batch_size=2000,
    )
    item_ids = list(
        StockItem.objects.exclude(pk=first.pk).order_by("id").values_list("id", flat=True)
    )
    q3, m2, c4 = 1000, 100, 10000
    columns = (
        "id, item_id, location_id, kind, quantity, unit_cost, value_avg, value_fifo, cost_method, "
        "on_hand_after, occurred_at, created_by_id, receipt_id, supplier_id, reference, reason"
    )
    insert = f"INSERT INTO inventory_stockmovement ({columns}) VALUES ({', '.join(['%s'] * 16)})"
    rows, balances, layers = [], [], []
    started = time.perf_counter()
    total = 0
    start_at = now - dt.timedelta(days=365)
    for index, item_id in enumerate(item_ids):
        method = "fifo" if index % 2 else "average"
        for location in (shelf.pk, van.pk):
            bucket = ledger.Bucket()
            last = None
            for k in range(per_item // 2):
                mid = next_id
                next_id += 1
                at = start_at + dt.timedelta(minutes=k * 7 + index % 97)
                if bucket.on_hand < 3 or rng.random() < 0.45:
                    q = D(rng.randint(1, 20))
                    cost = D(rng.randint(1000, 250000)) / 100
                    va, vf = ledger.inbound_values(bucket, q, cost)
                    change = ledger.inbound(
                        bucket, source_id=mid, quantity=q, value_avg=va, value_fifo=vf
                    )
                    rows.append(
                        (
                            mid,
                            item_id,
                            location,
                            "receipt",
                            int(q * q3),
                            int(cost * c4),
                            int(change.value_avg * m2),
                            int(change.value_fifo * m2),
                            method,
                            int(bucket.on_hand * q3),
                            at,
                            agent.pk,
                            receipt.pk,
                            supplier.pk,
                            "SEED",
                            "",
                        )
                    )
                else:
                    q = min(bucket.on_hand, D(rng.randint(1, 6)))
                    change = ledger.outbound(bucket, source_id=mid, quantity=q, fallback_rate=D(0))
                    rows.append(
                        (
                            mid,
                            item_id,
                            location,
                            "issue",
                            -int(q * q3),
                            None,
                            int(change.value_avg * m2),
                            int(change.value_fifo * m2),
                            method,
                            int(bucket.on_hand * q3),
                            at,
                            agent.pk,
                            None,
                            None,
                            "",
                            "",
                        )
                    )
                last = (mid, at)
                total += 1
            balances.append(
                (
                    item_id,
                    location,
                    int(bucket.on_hand * q3),
                    int(bucket.value_avg * m2),
                    int(bucket.value_fifo * m2),
                    last[0],
                    last[1],
                )
            )
            for layer in bucket.layers:
                layers.append(
                    (
                        item_id,
                        location,
                        layer.source_id,
                        int(layer.remaining * q3),
                        int(layer.remaining_value * m2),
                    )
                )
        if len(rows) >= 50_000:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(insert, rows)
            rows = []
            print(
                f"  seeded {total:,} movements ({time.perf_counter() - started:.0f} s)", flush=True
            )
    with transaction.atomic(), connection.cursor() as cursor:
        if rows:
            cursor.executemany(insert, rows)
        cursor.executemany(
            "INSERT INTO inventory_stockbalance (item_id, location_id, on_hand, value_avg, value_fifo, last_movement_id, last_movement_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            balances,
        )
        totals: dict[int, list] = {}
        for item_id, _location, q, va, vf, _mid, at in balances:
            t = totals.setdefault(item_id, [0, 0, 0, at])
            t[0] += q
            t[1] += va
            t[2] += vf
            t[3] = max(t[3], at)
        cursor.executemany(
            "INSERT INTO inventory_stocktotal (item_id, on_hand, value_avg, value_fifo, last_movement_at) VALUES (%s, %s, %s, %s, %s)",
            [(item_id, *values) for item_id, values in totals.items()],
        )
        cursor.executemany(
            "INSERT INTO inventory_stocklayer (item_id, location_id, source_id, remaining, remaining_value) VALUES (%s, %s, %s, %s, %s)",
            layers,
        )
        if connection.vendor == "postgresql":
            for table in (
                "inventory_stockmovement",
                "inventory_stockbalance",
                "inventory_stocklayer",
            ):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
    print(
        f"  seeded {total:,} movements, {len(balances):,} balances, {len(layers):,} layers in {time.perf_counter() - started:.0f} s"
    )
    return total


def bench_levels(repeat: int) -> None:
    from soporte.inventory import reads

    values = reads.stock_values()
    print(f"levels: {len(values):,} items")
    print(
        "  stock_values (every item: on-hand, value under its method and both):",
        summary(timed(reads.stock_values, repeat)),
    )
    print(
        "  levels_by_item (every item, both methods):", summary(timed(reads.levels_by_item, repeat))
    )
    raw = timed(reads.ledger_totals, max(3, repeat // 5))
    print("  raw SUM over the ledger (comparison):", summary(raw))
    mismatches = reads.balance_mismatches()
    print(f"  kept balances vs raw ledger: {'EQUAL' if not mismatches else mismatches[:3]}")


def seed_timeline(org, agent) -> int:
    """A device with 1,000 events (250 each: tickets, calls, entries, parts) among 20 others."""
    from soporte.calls.models import Call, PhoneLine
    from soporte.directory.models import Person
    from soporte.inventory import devices, services
    from soporte.inventory.models import Location, StockItem, Supplier
    from soporte.lib import clock
    from soporte.logbook import services as logbook
    from soporte.logbook.models import EntryKind
    from soporte.tickets.models import Ticket

    now = clock.now()
    person = Person.objects.create(organisation=org, full_name="Roberto Sánchez")
    targets = [
        devices.register_device(
            actor=agent,
            data=devices.DeviceData(
                organisation=org, kind="laptop", brand="Dell", serial_number=f"TL-{n}"
            ),
            now=now,
        )
        for n in range(21)
    ]
    device = targets[0]
    line = PhoneLine.objects.create(name="Conmutador", created_at=now)
    number = (Ticket.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    tickets = []
    for n in range(21 * 250):
        owner = targets[n % 21]
        at = now - dt.timedelta(hours=n)
        tickets.append(
            Ticket(
                number=number + n,
                organisation=org,
                requester=person,
                channel="phone",
                direction="reactive",
                support_kind="distance",
                subject=f"Falla {n}",
                description="No enciende",
                device=owner,
                created_by=agent,
                created_at=at,
                updated_at=at,
            )
        )
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    mine = list(Ticket.objects.filter(device=device).order_by("id")[:250])
    Call.objects.bulk_create(
        [
            Call(
                line=line,
                call_id=f"c{n}",
                direction="in",
                from_number="5550001111",
                to_number="100",
                organisation=org,
                ticket=t,
                started_at=t.created_at,
                updated_at=t.created_at,
            )
            for n, t in enumerate(mine)
        ]
    )
    book = logbook.desk_logbook(now=now)
    for n in range(250):
        logbook.append_entry(
            logbook=book,
            kind=EntryKind.NOTE,
            author=agent,
            summary=f"Revisión {n}",
            subject=logbook.Subject("equipment", device.subject_id, str(device)),
            now=now,
        )
    item = StockItem.objects.create(sku="TL-PART", name="Pieza", created_at=now)
    shelf = Location.objects.get(code="A")
    services.receive_stock(
        actor=agent,
        supplier=Supplier.objects.first(),
        location=shelf,
        invoice_number="TL",
        lines=[services.ReceiptLine(item, D(300), D("10"))],
        now=now,
    )
    for n in range(250):
        services.issue_stock(
            actor=agent, item=item, location=shelf, quantity=D(1), device=device, now=now
        )
    return device.pk


def bench_timeline(device_id: int, agent, repeat: int) -> None:
    from soporte.inventory import devices
    from soporte.inventory.models import Device

    device = Device.objects.get(pk=device_id)
    events = devices.timeline(device=device, actor=agent, limit=5000)
    print(f"timeline: {len(events):,} events for one device")
    print(
        "  devices.timeline:",
        summary(timed(lambda: devices.timeline(device=device, actor=agent, limit=5000), repeat)),
    )


def bench_intake(agent, supplier, shelf, receipts: int, lines: int) -> None:
    from soporte.inventory import services
    from soporte.inventory.models import StockItem
    from soporte.lib import clock

    items = list(StockItem.objects.order_by("id")[1 : 1 + max(lines, 50)])
    rng = random.Random(5)
    started = time.perf_counter()
    cpu_started = time.process_time()
    for n in range(receipts):
        chosen = rng.sample(items, lines)
        services.receive_stock(
            actor=agent,
            supplier=supplier,
            location=shelf,
            invoice_number=f"B-{lines}-{n}",
            lines=[
                services.ReceiptLine(item, D(rng.randint(1, 9)), D(rng.randint(100, 90000)) / 100)
                for item in chosen
            ],
            now=clock.now(),
        )
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    moved = receipts * lines
    # CPU seconds of this process (with SQLite, the database's work too): what the intake
    # costs, which a busy shared machine does not change the way it changes wall time.
    print(
        f"intake, {lines} line(s) per receipt: {moved:,} movements + {receipts:,} signed entries in {elapsed:.1f} s = "
        f"{moved / elapsed:,.0f} movements/s ({receipts / elapsed:,.0f} receipts/s); "
        f"{cpu:.1f} CPU s in this process = {moved / cpu:,.0f} movements per CPU second"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--only",
        choices=["levels", "timeline", "intake"],
        action="append",
        help="run only these parts (the ledger is seeded for every part)",
    )
    args = parser.parse_args()
    if args.quick:
        args.items, args.movements, args.repeat = 1_000, 100_000, 10

    var_dir = Path(tempfile.mkdtemp(prefix="soporte-bench-inventory-"))
    database_url = None
    if args.database == "postgres":
        database_url = f"{PG_SERVER}/soporte_inventory_bench_{os.getpid()}"
        if subprocess.run([sys.executable, "-m", "soporte.lib.pgcheck", database_url]).returncode:
            return 1
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="soporte.settings", VAR_DIR=str(var_dir))
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    os.environ.clear()
    os.environ.update(env)
    print(
        f"# inventory bench: {args.movements:,} movements over {args.items:,} items, {args.database}"
    )
    print(
        f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load {os.getloadavg()}"
    )
    subprocess.run(
        [sys.executable, "-m", "soporte.cli", "migrate", "--verbosity", "0"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
    )
    import django

    django.setup()
    try:
        org, agent, supplier, shelf, van = setup_people()
        parts = set(args.only or ["levels", "timeline", "intake"])
        seed_ledger(args.items, args.movements // args.items, agent, supplier, shelf, van)
        if "levels" in parts:
            bench_levels(args.repeat)
        if "timeline" in parts:
            device_id = seed_timeline(org, agent)
            bench_timeline(device_id, agent, args.repeat)
        if "intake" in parts:
            bench_intake(agent, supplier, shelf, receipts=40, lines=50)
            bench_intake(agent, supplier, shelf, receipts=100, lines=20)
            bench_intake(agent, supplier, shelf, receipts=300, lines=1)
        from soporte.inventory import reads

        print(
            f"after intake, kept balances vs raw ledger: {'EQUAL' if not reads.balance_mismatches() else 'DIFFERENT'}"
        )
        print(f"# load at the end {os.getloadavg()}")
    finally:
        from django.db import connection

        connection.close()
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
            if database_url:
                import psycopg

                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{database_url.rsplit("/", 1)[1]}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
