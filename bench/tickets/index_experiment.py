"""Time the two queue queries at 1M before/after the proposed indexes (rolled back)."""

import os
import sqlite3
import sys
import time

sys.path.insert(0, "/work/main")
os.environ["VAR_DIR"] = "/work/main/bench/.data/tickets-1m"
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.tickets.bench_settings"
import django

django.setup()
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from soporte.directory.models import User  # noqa: E402
from soporte.tickets import queues  # noqa: E402

u = User.objects.get(username="blanca.herrera")
sqls = {}
for q in ("mine", "all"):
    with CaptureQueriesContext(connection) as ctx:
        queues.page(u, queue=q)
    sqls[q] = ctx.captured_queries[-1]["sql"]
db = sqlite3.connect(os.environ["VAR_DIR"] + "/soporte.sqlite3", isolation_level=None)


def t(label):
    for q, sql in sqls.items():
        t0 = time.perf_counter()
        db.execute(sql).fetchall()
        ms = (time.perf_counter() - t0) * 1000
        plan = " | ".join(r[-1] for r in db.execute("EXPLAIN QUERY PLAN " + sql))
        print(f"{label:<10} {q:<5} {ms:8.1f} ms  {plan}")


t("before")
db.execute("BEGIN")
t0 = time.perf_counter()
db.execute("CREATE INDEX x_updated ON tickets_ticket (updated_at, id)")
db.execute(
    "CREATE INDEX x_mine_open ON tickets_ticket (assignee_id, updated_at, id) WHERE status IN ('new', 'assigned', 'in_progress', 'waiting_customer', 'escalated')"
)
print(f"create 2 indexes: {time.perf_counter() - t0:.1f} s")
t("after")
db.execute("ROLLBACK")
