"""In-process timing of cti.process and services.apply_events per batch (no server, no HTTP).

VAR_DIR=<prepared bench dir> python bench/calls/profile_batch.py [--batch 64] [--batches 50] [--profile]
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soporte.settings")
import django  # noqa: E402

django.setup()
from django.utils import timezone  # noqa: E402

from soporte.calls import cti  # noqa: E402

TOKEN = "bench-cti-token-0001"
BASE = {"from": "+52 55 5341 2201", "to": "+52 55 5000 1000", "direction": "in"}


CREATED: list = []
ANSWERED: list = []


def batch(run: str, b: int, size: int) -> list:
    """One third each of newCall, answer (of a call created in an earlier batch), hangup."""
    reqs = []
    created_now, answered_now = [], []
    for i in range(size):
        n = b * size + i
        phase = n % 3
        if phase == 1 and CREATED:
            cid = CREATED.pop(0)
            body = {"event": "answer", "callId": cid, "answeringNumber": "101", **BASE}
            answered_now.append(cid)
        elif phase == 2 and ANSWERED:
            body = {"event": "hangup", "callId": ANSWERED.pop(0), "cause": "normalClearing", **BASE}
        else:
            cid = f"{run}-{n}"
            body = {"event": "newCall", "callId": cid, "user": ["Blanca Herrera Solís"], **BASE}
            created_now.append(cid)
        reqs.append(
            cti.make_request(
                token=TOKEN,
                headers={},
                body=json.dumps(body).encode(),
                content_type="application/json",
            )
        )
    CREATED.extend(created_now)
    ANSWERED.extend(answered_now)
    return reqs


def raw_event_inserts() -> None:
    """Experiment (not the product): what one executemany INSERT of CallEvent rows would save."""
    from django.db import connection

    from soporte.calls.models import CallEvent

    fields = [f for f in CallEvent._meta.concrete_fields if not f.primary_key]
    sql = "INSERT INTO calls_callevent (%s) VALUES (%s)" % (
        ", ".join(f.column for f in fields),
        ", ".join(["%s"] * len(fields)),
    )

    def bulk_create(objs, *args, **kwargs):
        for o in objs:
            if o.call_id is None:
                o.call_id = o.call.pk
        rows = [
            [f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields] for o in objs
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        return objs

    CallEvent.objects.bulk_create = bulk_create


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--batches", type=int, default=50)
    p.add_argument("--profile", action="store_true")
    p.add_argument(
        "--raw-events",
        action="store_true",
        help="experiment: CallEvent rows by one raw executemany",
    )
    a = p.parse_args()
    if a.raw_events:
        raw_event_inserts()
    run = f"prof{int(time.time())}"
    times = []
    statuses: dict = {}
    prof = cProfile.Profile() if a.profile else None
    for b in range(a.batches):
        reqs = batch(run, b, a.batch)
        t = time.perf_counter()
        if prof:
            prof.enable()
        out = cti.process(reqs, now=timezone.now())
        if prof:
            prof.disable()
        times.append((time.perf_counter() - t) * 1000)
        for status, _ in out:
            statuses[status] = statuses.get(status, 0) + 1
    per_event = statistics.median(times) / a.batch
    print(
        f"batch {a.batch}: median {statistics.median(times):.1f} ms ({per_event * 1000:.0f} µs/event, "
        f"{1000 / per_event:.0f} events/s on one core), max {max(times):.1f} ms, statuses {statuses}"
    )
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
