"""The repair register: credited to the technician who marked the repair repaired, on that
day, whoever received or charged it; warranty returns count against the original repairer;
the page shows a chart, its table and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.urls import reverse

from soporte.workshop import register, services
from soporte.workshop.tests.conftest import receive_repair

HOUR = dt.timedelta(hours=1)


def _repair(personas, now, device, *, receiver, repairer, charger, hours=5):
    repair = receive_repair(receiver, device, personas.person_a, now)
    services.start_diagnosis(actor=receiver, repair=repair, now=now + HOUR)
    services.quote_repair(
        actor=receiver, repair=repair, diagnosis="Ventilador", labour="150", now=now + 2 * HOUR
    )
    services.mark_repaired(
        actor=repairer,
        repair=repair,
        work_done="Cambio de ventilador",
        labour_minutes=40,
        now=now + hours * HOUR,
    )
    services.deliver_repair(
        actor=charger,
        repair=repair,
        handed_back="Laptop",
        payment_method="cash",
        amount="150",
        now=now + (hours + 1) * HOUR,
    )
    return repair


def test_credited_to_who_repaired_not_who_received_or_charged(personas, now, device_a, make_agent):
    technician = make_agent("tomas.reyes", level=2, first_name="Tomás", last_name="Reyes").user
    repair = _repair(
        personas,
        now,
        device_a,
        receiver=personas.agent,
        repairer=technician,
        charger=personas.supervisor,
    )
    data = register.build(start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=1))
    by_id = {row.technician_id: row for row in data.rows}
    assert by_id[technician.pk].repaired == 1
    assert by_id[technician.pk].median_turnaround_hours == 5.0
    assert by_id[technician.pk].share_repaired == 1.0
    # Received: the receiver became the assigned technician (it diagnosed it); never credited.
    assert by_id[personas.agent.pk].repaired == 0 and by_id[personas.agent.pk].received == 1
    assert personas.supervisor.pk not in by_id  # charged it: nothing to its credit
    # Time in each status from the stored changes: 1 h received, 1 h diagnosing, 3 h repairing.
    hours = by_id[technician.pk].hours_in_status
    assert hours == {"received": 1.0, "diagnosing": 1.0, "repairing": 3.0}
    # Counted on the day it was marked repaired.
    later = register.build(start=now + 4 * HOUR, end=now + dt.timedelta(days=2))
    assert {r.technician_id: r.repaired for r in later.rows}[technician.pk] == 1
    before = register.build(start=now - dt.timedelta(days=1), end=now + 4 * HOUR)
    assert technician.pk not in {r.technician_id for r in before.rows if r.repaired}

    # A warranty return and an unrepairable device count against their technicians.
    services.receive_warranty_return(
        actor=personas.agent,
        original=repair,
        brought_by=personas.person_a,
        fault="Ruido",
        condition="Igual",
        now=now + 10 * HOUR,
    )
    other = receive_repair(personas.agent, device_a, personas.person_a, now)
    services.start_diagnosis(actor=technician, repair=other, now=now + HOUR)
    services.mark_unrepairable(
        actor=technician, repair=other, reason="Sin refacciones", now=now + 3 * HOUR
    )
    row = {
        r.technician_id: r
        for r in register.build(start=now - HOUR, end=now + dt.timedelta(days=1)).rows
    }[technician.pk]
    assert (row.repaired, row.unrepairable, row.warranty_returns) == (1, 1, 1)
    assert row.share_repaired == 0.5


def test_register_page_chart_table_and_exports(personas, now, device_a):
    _repair(
        personas,
        now,
        device_a,
        receiver=personas.agent,
        repairer=personas.supervisor,
        charger=personas.agent,
    )
    agent = personas.client("agent")
    day = now.date().isoformat()
    page = agent.get(reverse("workshop:register"), {"desde": day, "hasta": day}).content.decode()
    assert "<svg" in page and str(personas.supervisor) in page
    assert "100 %" in page
    response = agent.get(
        reverse("workshop:register_export", args=["csv"]), {"desde": day, "hasta": day}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[1][0] == str(personas.supervisor) and rows[1][2] == "1"
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF")):
        body = agent.get(
            reverse("workshop:register_export", args=[fmt]), {"desde": day, "hasta": day}
        ).content
        assert body.startswith(magic)
    bad = agent.get(reverse("workshop:register"), {"desde": "2026-13-01", "hasta": day})
    assert "Fecha no válida" in bad.content.decode()
    for who in ("customer_a", "customer_b"):
        assert personas.client(who).get(reverse("workshop:register")).status_code == 403
        assert (
            personas.client(who).get(reverse("workshop:register_export", args=["csv"])).status_code
            == 403
        )
    assert personas.client("anonymous").get(reverse("workshop:register")).status_code == 302
