"""Workshop benchmarks: the sales logbook over a million sale lines, the repair register over
200,000 repairs.

    .venv/bin/python bench/workshop/run.py                      # SQLite
    .venv/bin/python bench/workshop/run.py --database postgres  # PostgreSQL (127.0.0.1:5432)
    .venv/bin/python bench/workshop/run.py --quick              # 100,000 lines, 20,000 repairs

Seeded with bulk inserts (the use cases' rows, not the use cases: seeding a million lines
through them would take hours): 1,000,000 sale lines in 333,334 documents over two years, the
per-day sums rebuilt by `salesbook.recompute_days` (what the use cases keep), expenses every
month; 200,000 repairs by 20 technicians over two years with five status changes each. Then,
repeated: the sales logbook for one month by day and for the year by month
(`salesbook.book`), and the repair register for a year (`register.build`, from the
per-technician day sums that `register.recompute_days` rebuilds after the bulk seed; the same
year computed from the repairs is timed beside it). Target: < 100 ms.
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
    fn()
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


def seed(lines_total: int, repairs_total: int):
    from django.utils import timezone

    from soporte.directory.models import Organisation, Person, Role, User
    from soporte.inventory.models import Device
    from soporte.workshop import salesbook
    from soporte.workshop.models import Expense, Repair, RepairStatus, Sale, SaleLine, StatusChange

    rng = random.Random(16)
    end = timezone.now()
    start = end - dt.timedelta(days=730)
    org = Organisation.objects.create(name="Ferretería Anáhuac")
    person = Person.objects.create(organisation=org, full_name="Roberto Sánchez")
    techs = [
        User.objects.create_user(
            f"tecnico{i}", first_name="Técnico", last_name=str(i), role=Role.AGENT
        )
        for i in range(20)
    ]
    device = Device.objects.create(
        organisation=org,
        kind="laptop",
        brand="Lenovo",
        inventory_tag="EQ-1",
        created_at=start,
        updated_at=start,
    )
    started = time.perf_counter()
    documents = (lines_total + 2) // 3
    batch = 5000
    made = 0
    while made < documents:
        n = min(batch, documents - made)
        sales = []
        for k in range(n):
            sold_at = start + dt.timedelta(seconds=rng.randint(0, 730 * 86400))
            sales.append(
                Sale(
                    sold_by=techs[k % 20],
                    sold_at=sold_at,
                    payment_method="cash",
                    vat_basis_points=1600,
                    subtotal=D("900.00"),
                    tax=D("144.00"),
                    total=D("1044.00"),
                    cost=D("400.00"),
                )
            )
        Sale.objects.bulk_create(sales, batch_size=1000)
        ids = list(Sale.objects.order_by("-id").values_list("id", flat=True)[:n])
        SaleLine.objects.bulk_create(
            [
                SaleLine(
                    sale_id=sale_id,
                    description=name,
                    quantity=D(1),
                    unit_price=price,
                    amount=price,
                    cost=cost,
                )
                for sale_id in ids
                for name, price, cost in (
                    ("Memoria", D("650"), D("400")),
                    ("Limpieza", D("200"), D(0)),
                    ("Cable", D("50"), D(0)),
                )
            ][: 3 * n],
            batch_size=3000,
        )
        made += n
    salesbook.recompute_days()
    month = start.date().replace(day=1)
    expenses = []
    while month <= end.date():
        expenses.append(
            Expense(
                category="rent",
                description="Renta",
                amount=D("9500"),
                incurred_date=month,
                recorded_by=techs[0],
                recorded_at=end,
            )
        )
        month = (month + dt.timedelta(days=32)).replace(day=1)
    Expense.objects.bulk_create(expenses)
    print(
        f"seeded {SaleLine.objects.count():,} sale lines in {Sale.objects.count():,} documents in {time.perf_counter() - started:.0f} s"
    )

    started = time.perf_counter()
    made = 0
    flow = [
        RepairStatus.DIAGNOSING,
        RepairStatus.AWAITING_APPROVAL,
        RepairStatus.REPAIRING,
        RepairStatus.READY,
        RepairStatus.DELIVERED,
    ]
    while made < repairs_total:
        n = min(batch, repairs_total - made)
        repairs = []
        for k in range(n):
            received = start + dt.timedelta(seconds=rng.randint(0, 720 * 86400))
            tech = techs[rng.randrange(20)]
            repaired = received + dt.timedelta(hours=rng.randint(2, 200))
            repairs.append(
                Repair(
                    organisation=org,
                    device=device,
                    brought_by=person,
                    received_by=techs[0],
                    received_at=received,
                    fault="No enciende",
                    condition="Bien",
                    status=RepairStatus.DELIVERED,
                    technician=tech,
                    repaired_by=tech,
                    repaired_at=repaired,
                    turnaround_seconds=(repaired - received).total_seconds(),
                    delivered_at=repaired + dt.timedelta(days=1),
                )
            )
        Repair.objects.bulk_create(repairs, batch_size=1000)
        rows = list(
            Repair.objects.order_by("-id").values_list("id", "received_at", "repaired_by_id")[:n]
        )
        changes = []
        for repair_id, received, tech_id in rows:
            at, previous = received, RepairStatus.RECEIVED
            for status in flow:
                step = rng.randint(600, 86400)
                at = at + dt.timedelta(seconds=step)
                changes.append(
                    StatusChange(
                        repair_id=repair_id,
                        from_status=previous,
                        to_status=status,
                        changed_by_id=tech_id,
                        changed_at=at,
                        seconds_in_from=step,
                    )
                )
                previous = status
        StatusChange.objects.bulk_create(changes, batch_size=5000)
        made += n
    print(
        f"seeded {Repair.objects.count():,} repairs, {StatusChange.objects.count():,} status changes in {time.perf_counter() - started:.0f} s"
    )
    from soporte.workshop import register

    started = time.perf_counter()
    days = register.recompute_days()
    print(
        f"register day sums rebuilt: {days:,} technician-days in {time.perf_counter() - started:.0f} s"
    )
    return end


def bench(end: dt.datetime, repeat: int) -> None:
    from django.utils import timezone

    from soporte.workshop import register, salesbook

    today = timezone.localtime(end).date()
    month_first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month_last = today.replace(day=1) - dt.timedelta(days=1)
    year_first = today.replace(month=1, day=1) - dt.timedelta(days=365)
    year_first = year_first.replace(month=1, day=1)
    year_last = year_first.replace(month=12, day=31)
    print(
        "sales logbook, one month by day:",
        summary(
            timed(
                lambda: salesbook.book(first_day=month_first, last_day=month_last, grain="day"),
                repeat,
            )
        ),
    )
    print(
        "sales logbook, a year by month: ",
        summary(
            timed(
                lambda: salesbook.book(first_day=year_first, last_day=year_last, grain="month"),
                repeat,
            )
        ),
    )
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(dt.datetime.combine(year_first, dt.time()), tz)
    stop = timezone.make_aware(dt.datetime.combine(year_last + dt.timedelta(days=1), dt.time()), tz)
    data = register.build(start=start, end=stop)
    print(
        f"register year: {len(data.rows)} technicians, {sum(r.repaired for r in data.rows):,} repaired"
    )
    print(
        "repair register, a year:        ",
        summary(timed(lambda: register.build(start=start, end=stop), repeat)),
    )
    # Where the register's time goes: each query's own time, once (diagnosis).
    from django.db import connection

    spent: list[tuple[float, str]] = []

    def timer(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent.append(((time.perf_counter() - started) * 1000, sql))

    started = time.perf_counter()
    with connection.execute_wrapper(timer):
        register.build(start=start, end=stop)
    total = (time.perf_counter() - started) * 1000
    print(
        f"  one register: {total:.1f} ms, {len(spent)} queries, {sum(t for t, _ in spent):.1f} ms in SQL:"
    )
    for ms, sql in sorted(spent, reverse=True)[:4]:
        print(f"    {ms:7.1f} ms  {' '.join(sql.split())[:110]}")
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(register.build, start=start, end=stop)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    # Same run, for comparison: the register computed from the repairs (no day sums).
    raw = register.build_from_repairs(start=start, end=stop)
    assert [(r.technician_id, r.repaired, r.received) for r in raw.rows] == [
        (r.technician_id, r.repaired, r.received) for r in data.rows
    ]
    print(
        "  (from the repairs, same year): ",
        summary(timed(lambda: register.build_from_repairs(start=start, end=stop), 3)),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repairs", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.lines, args.repairs, args.repeat = 100_000, 20_000, 10
    var_dir = Path(tempfile.mkdtemp(prefix="soporte-bench-workshop-"))
    database_url = None
    if args.database == "postgres":
        database_url = f"{PG_SERVER}/soporte_workshop_bench_{os.getpid()}"
        if subprocess.run([sys.executable, "-m", "soporte.lib.pgcheck", database_url]).returncode:
            return 1
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="soporte.settings", VAR_DIR=str(var_dir))
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    os.environ.clear()
    os.environ.update(env)
    print(f"# workshop bench: {args.lines:,} sale lines, {args.repairs:,} repairs, {args.database}")
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
        end = seed(args.lines, args.repairs)
        bench(end, args.repeat)
        print(f"# load at the end {os.getloadavg()}")
    finally:
        from django.db import connection

        connection.close()
        shutil.rmtree(var_dir, ignore_errors=True)
        if database_url:
            import psycopg

            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database_url.rsplit("/", 1)[1]}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
