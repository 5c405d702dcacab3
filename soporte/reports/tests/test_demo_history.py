"""`soporte demo` loads weeks of finished calls, so the reports have a month to chart and the
staffing planner a history to read."""

from __future__ import annotations

import datetime as dt

from soporte import demo
from soporte.reports import calls_report, reads, staffing
from soporte.reports.metrics import Definitions
from soporte.reports.periods import local_midnight


def test_demo_history_feeds_the_reports_and_the_planner(db, now):
    demo.load_demo(now=now, history_weeks=1)
    # `now` is Monday 23 November: the history is Monday 16 to Friday 20 (the demo's own day
    # of calls, on Sunday 22 this early in the morning, is not part of it).
    scope = reads.Scope(
        start_at=local_midnight(dt.date(2026, 11, 16)), end_at=local_midnight(dt.date(2026, 11, 21))
    )
    report = calls_report.build(scope, "day", Definitions())
    days = [g for g in report["groups"] if g["offered"]]
    assert len(days) == 5  # the working days of the week before
    figures = {f["code"]: f["value"] for f in report["figures"]}
    assert figures["answered"] > 0 and figures["abandoned"] >= 0
    assert 0 < figures["service_level"] <= 1
    history = staffing.from_history(scope)
    assert history.loads and history.aht_seconds
    grid = staffing.week_grid(history.loads, staffing.Goal())
    assert all(int(str(row["c_agents"])) >= 1 for row in grid)
