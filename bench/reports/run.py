"""Reports benchmarks: the calls report over a month and a year, and the staffing planner.

    .venv/bin/python bench/reports/run.py                    # 2,000,000 calls over a year
    .venv/bin/python bench/reports/run.py --calls 200000     # a smaller year (same shape)
    .venv/bin/python bench/reports/run.py --database postgres  # PostgreSQL on 127.0.0.1:5432

1. Seed: `--calls` finished inbound calls spread over the 365 days before today (working
   hours, 85 % answered, holds on a third, a few transfers), written in bulk into a fresh
   SQLite database (WAL) migrated with `soporte migrate`. Call events are not seeded: no
   report reads them.
2. Summaries: `soporte summarise_calls` (the backfill the periodic job otherwise does in
   31-day steps), timed; then the calls report (`reports.calls_report.build`, what the page,
   the API and the export call), grouped by day and by agent, for the last month and for the
   whole year; targets 500 ms and 1 s. `--raw` also times the month read call by call.
3. Staffing planner: a week of half-hour intervals (336) from typed figures, Erlang C and
   Erlang A (`staffing.week_grid`); target 200 ms. And from a month of history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def uptime() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(fn, repeat: int) -> list[tuple[float, float]]:
    """(wall ms, this process's CPU ms) per run: on a loaded machine the CPU time is what the
    run costs (SQLite runs in this process; PostgreSQL's share is not in it)."""
    fn()
    times = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append(((time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000))
    return times


def summary(times: list[tuple[float, float]]) -> str:
    wall = sorted(t[0] for t in times)
    cpu = sorted(t[1] for t in times)
    return (
        f"median {statistics.median(wall):.0f} ms, min {wall[0]:.0f} ms "
        f"(CPU median {statistics.median(cpu):.0f} ms; n={len(times)})"
    )


def seed(n_calls: int) -> None:
    from django.db import transaction

    from soporte.calls.models import Call, PhoneLine
    from soporte.directory.models import Agent, Role, User
    from soporte.lib import clock

    now = clock.now()
    line = PhoneLine.objects.create(name="Conmutador", cadence="mx", created_at=now)
    agents = []
    for i in range(40):
        user = User.objects.create_user(f"agente{i}", first_name=f"Agente {i}", role=Role.AGENT)
        agents.append(Agent.objects.create(user=user, level=1 + i % 3))
    rng = random.Random(7)
    start = now - dt.timedelta(days=365)
    batch = []
    with transaction.atomic():
        for n in range(n_calls):
            day = start + dt.timedelta(days=rng.randrange(365))
            at = day.replace(hour=15, minute=0) + dt.timedelta(seconds=rng.randrange(9 * 3600))
            wait = rng.expovariate(1 / 15)
            answered = rng.random() < 0.85
            agent = rng.choice(agents) if answered else None
            holds = rng.random() < 0.33
            answered_at = at + dt.timedelta(seconds=wait) if answered else None
            ended = (answered_at or at) + dt.timedelta(
                seconds=rng.uniform(60, 600) if answered else wait
            )
            batch.append(
                Call(
                    line=line,
                    call_id=f"c{n}",
                    direction="in",
                    from_number="5550001111",
                    to_number="100",
                    state="ended",
                    agent=agent,
                    answered_by=agent,
                    started_at=at,
                    answered_at=answered_at,
                    ended_at=ended,
                    ring_seconds=min(wait, 30) if answered else None,
                    hold_count=1 if holds and answered else 0,
                    hold_seconds=rng.uniform(10, 90) if holds and answered else 0,
                    outcome="answered" if answered else "abandoned",
                    updated_at=ended,
                )
            )
            if len(batch) == 20_000:
                Call.objects.bulk_create(batch, batch_size=2000)
                batch = []
        Call.objects.bulk_create(batch, batch_size=2000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--raw", action="store_true", help="also time the month without summaries")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="reports-bench-"))
    database_url = ""
    if args.database == "postgres":
        database_url = f"{PG_SERVER}/soporte_reports_bench_{os.getpid()}"
        if subprocess.run([sys.executable, "-m", "soporte.lib.pgcheck", database_url]).returncode:
            sys.exit(1)
    os.environ.update(
        VAR_DIR=str(var_dir), DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="soporte.settings"
    )
    print(f"# reports bench: {args.calls:,} calls, {args.database}; {uptime()}")
    subprocess.run(
        [str(PROJECT_DIR / ".venv/bin/soporte"), "migrate", "-v0"], check=True, env=os.environ
    )
    import django

    django.setup()
    from django.core.management import call_command

    from soporte.lib import clock
    from soporte.reports import calls_report, erlang, reads, staffing, summaries
    from soporte.reports.metrics import Definitions
    from soporte.reports.models import CallSummary

    started = time.perf_counter()
    seed(args.calls)
    print(f"seeded {args.calls:,} calls in {time.perf_counter() - started:.0f} s; {uptime()}")
    started = time.perf_counter()
    call_command("summarise_calls", stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(
        f"summarised them into {CallSummary.objects.count():,} rows in "
        f"{time.perf_counter() - started:.0f} s; {uptime()}"
    )
    now = clock.now()
    d = Definitions()
    for label, days in (("month", 30), ("year", 365)):
        scope = reads.Scope(start_at=now - dt.timedelta(days=days), end_at=now)
        n = reads.count_calls(scope)
        raw = summaries.calls_to_read(scope, d)
        for dimension in ("day", "agent"):
            times = timed(
                lambda scope=scope, dim=dimension: calls_report.build(scope, dim, d), args.repeat
            )
            print(
                f"calls report by {dimension}, {label} ({n:,} calls, {raw:,} read one by one): "
                f"{summary(times)}; {uptime()}"
            )
        if args.raw and label == "month":
            started = time.perf_counter()
            reads.tallies(scope, "day", d)
            print(f"  the same month call by call: {(time.perf_counter() - started) * 1000:.0f} ms")
    goal = staffing.Goal()
    loads = {
        (w, s): staffing.Load(calls=20 + (s % 12) * 5, aht_seconds=240, patience_seconds=90)
        for w in range(7)
        for s in range(48)
    }
    erlang.erlang_a_performance.cache_clear()
    erlang.erlang_c_performance.cache_clear()
    started = time.perf_counter()
    staffing.week_grid(loads, goal)
    print(
        "staffing planner, typed week (336 half hours, 12 loads a day), Erlang C and A, first "
        f"time: {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    times = timed(lambda: staffing.week_grid(loads, goal), args.repeat)
    print(f"staffing planner, typed week (336 half hours, Erlang C and A): {summary(times)}")
    rng = random.Random(3)
    distinct = {
        (w, s): staffing.Load(
            calls=rng.uniform(5, 80),
            aht_seconds=rng.uniform(180, 360),
            patience_seconds=rng.uniform(40, 200),
        )
        for w in range(7)
        for s in range(48)
    }
    erlang.erlang_a_performance.cache_clear()
    erlang.erlang_c_performance.cache_clear()
    started = time.perf_counter()
    staffing.week_grid(distinct, goal)
    print(
        "staffing planner, a week of 336 different loads, Erlang C and A, first time "
        f"(nothing cached): {(time.perf_counter() - started) * 1000:.0f} ms; {uptime()}"
    )
    c_only = {k: staffing.Load(calls=v.calls, aht_seconds=v.aht_seconds) for k, v in loads.items()}
    times = timed(lambda: staffing.week_grid(c_only, goal), args.repeat)
    print(f"staffing planner, typed week, Erlang C only: {summary(times)}")
    scope = reads.Scope(start_at=now - dt.timedelta(days=28), end_at=now)
    times = timed(lambda: staffing.week_grid(staffing.from_history(scope).loads, goal), args.repeat)
    print(f"staffing planner from 4 weeks of history: {summary(times)}")
    print(f"# {uptime()}")
    if not args.keep:
        from django.db import connection

        connection.close()
        shutil.rmtree(var_dir, ignore_errors=True)
        if database_url:
            import psycopg

            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{database_url.rsplit("/", 1)[1]}"')


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_DIR))
    main()
