"""In-process profile of the tickets pages (Django test client, no server).

    python bench/tickets/profile_views.py [--quick] [--cprofile]

Prints per page: median time of 3 requests after a warm-up, the SQL queries with their
execute time, and EXPLAIN QUERY PLAN of the slowest query; --cprofile adds the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--var-dir", default=None)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--pages", default="mine,all,detail,search")
    args = parser.parse_args()
    var_dir = args.var_dir or str(
        ROOT / "bench" / ".data" / ("tickets-quick" if args.quick else "tickets-1m")
    )
    os.environ["VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.tickets.bench_settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    assert client.login(username="blanca.herrera", password="soporte-demo")
    n = connection.cursor().execute("SELECT max(id) FROM tickets_ticket").fetchone()[0]
    pages = {
        "plain": f"/bench/plain/{n // 2}",
        "mine": "/tickets/?cola=mis-tickets",
        "all": "/tickets/?cola=todos",
        "detail": f"/tickets/{n // 2}/",
        "search": "/api/v1/tickets?q=impresora",
    }
    for name in ["plain", *args.pages.split(",")]:
        path = pages[name]
        client.get(path)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            resp = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200, resp.status_code
        with CaptureQueriesContext(connection) as ctx:
            client.get(path)
        sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
        print(
            f"\n== {name} {path}: {statistics.median(times):.1f} ms, "
            f"{len(ctx.captured_queries)} queries, SQL execute {sql_ms:.1f} ms"
        )
        slow = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))
        for q in slow[:5]:
            print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")
        if slow and not slow[0]["sql"].startswith(("SAVEPOINT", "RELEASE")):
            with connection.cursor() as cur:
                cur.execute("EXPLAIN QUERY PLAN " + slow[0]["sql"])
                for row in cur.fetchall():
                    print("   plan:", row[-1])
        if args.cprofile and name != "plain":
            prof = cProfile.Profile()
            prof.enable()
            client.get(path)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(
                r"soporte/|sqlite3|template/(base|defaulttags|loader_tags)|forms/", 30
            )


if __name__ == "__main__":
    main()
