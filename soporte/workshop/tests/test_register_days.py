"""The repair register's day sums (kept in each use case's transaction) give exactly the
register computed from the repairs themselves, and `recompute_days` rebuilds the same rows."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from soporte.lib.clock import desk_date
from soporte.workshop import periods, register, services
from soporte.workshop.models import Repair, RepairDay
from soporte.workshop.tests.conftest import receive_repair

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def _as_dict(data: register.Register) -> dict:
    out = dataclasses.asdict(data)
    for row in out["rows"]:
        row["hours_in_status"] = {k: pytest.approx(v) for k, v in row["hours_in_status"].items()}
        if row["median_turnaround_hours"] is not None:
            row["median_turnaround_hours"] = pytest.approx(row["median_turnaround_hours"])
    return out


@pytest.fixture
def shop_history(personas, now, device_a, make_agent):
    """Three technicians over two months: repairs received by one and repaired by another,
    one assigned only when diagnosed, one quoted then repaired, an unrepairable one, a
    warranty return, and one still open."""
    ana = make_agent("ana.rios", level=2, first_name="Ana", last_name="Ríos").user
    tomas = make_agent("tomas.reyes", level=2, first_name="Tomás", last_name="Reyes").user
    start = now - dt.timedelta(days=60)
    repaired = []
    for n in range(9):
        received = start + n * 5 * DAY + n * HOUR
        tech = (ana, tomas, None)[n % 3]
        repair = receive_repair(
            personas.agent, device_a, personas.person_a, received, technician=tech
        )
        services.start_diagnosis(actor=tomas, repair=repair, now=received + (n + 1) * HOUR)
        if n == 4:
            services.mark_unrepairable(
                actor=tomas, repair=repair, reason="Sin refacción", now=received + 30 * HOUR
            )
            continue
        if n == 8:
            continue  # still diagnosing
        services.quote_repair(
            actor=tomas, repair=repair, diagnosis="Fuente", labour="150", now=received + 2 * DAY
        )
        repair = services.mark_repaired(
            actor=(ana, tomas, personas.supervisor)[n % 3],
            repair=repair,
            work_done="Cambio de fuente",
            labour_minutes=30,
            now=received + 2 * DAY + (7 * n + 3) * HOUR,
        )
        repaired.append(repair)
    assert repaired[0].repaired_at is not None
    first = services.deliver_repair(
        actor=personas.agent,
        repair=repaired[0],
        handed_back="Laptop",
        payment_method="cash",
        amount="150",
        now=repaired[0].repaired_at + DAY,
    )
    assert first.delivered_at is not None
    services.receive_warranty_return(
        actor=personas.agent,
        original=first,
        brought_by=personas.person_a,
        fault="Volvió la falla",
        condition="Igual",
        now=first.delivered_at + 3 * DAY,
    )
    return start


def test_day_sums_give_the_register_computed_from_the_repairs(shop_history, now):
    today = desk_date(now)
    chosen = [
        periods.Period(desk_date(shop_history) - DAY, today),  # everything
        periods.last_twelve_months(today),
        periods.Period(desk_date(shop_history), desk_date(shop_history) + 20 * DAY),
        periods.Period(desk_date(shop_history) + 21 * DAY, today - 10 * DAY),
        periods.Period(today + DAY, today + 2 * DAY),  # nothing
    ]
    seen_rows = 0
    for period in chosen:
        kept = register.build(start=period.start, end=period.end)
        raw = register.build_from_repairs(start=period.start, end=period.end)
        assert _as_dict(kept) == _as_dict(raw), period
        seen_rows += len(kept.rows)
    everything = register.build(start=chosen[0].start, end=chosen[0].end)
    totals = {
        "repaired": sum(r.repaired for r in everything.rows),
        "unrepairable": sum(r.unrepairable for r in everything.rows),
        "warranty_returns": sum(r.warranty_returns for r in everything.rows),
        "received": sum(r.received for r in everything.rows),
    }
    # 7 repaired, 1 unrepairable, 1 warranty return; 10 received, all with a technician.
    assert totals == {"repaired": 7, "unrepairable": 1, "warranty_returns": 1, "received": 10}
    assert seen_rows > 3


def test_a_technician_filter_reads_the_same_from_the_day_sums(shop_history, now, personas):
    period = periods.Period(desk_date(shop_history) - DAY, desk_date(now))
    for user in (personas.supervisor, personas.agent):
        kept = register.build(start=period.start, end=period.end, technician=user)
        raw = register.build_from_repairs(start=period.start, end=period.end, technician=user)
        assert _as_dict(kept) == _as_dict(raw)


def test_recompute_days_rebuilds_the_rows_the_use_cases_kept(shop_history):
    fields = [f.name for f in RepairDay._meta.fields if f.name != "id"]
    kept = sorted(
        RepairDay.objects.values_list(*[f"{f}_id" if f == "technician" else f for f in fields])
    )
    turnarounds = dict(Repair.objects.values_list("pk", "turnaround_seconds"))
    Repair.objects.update(turnaround_seconds=None)
    assert register.recompute_days() == len(kept)
    rebuilt = sorted(
        RepairDay.objects.values_list(*[f"{f}_id" if f == "technician" else f for f in fields])
    )
    assert rebuilt == kept
    assert dict(Repair.objects.values_list("pk", "turnaround_seconds")) == turnarounds
