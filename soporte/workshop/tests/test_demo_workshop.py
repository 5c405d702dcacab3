"""The demo desk has months of repairs by several technicians and of sales, so the register
and the sales logbook show something true."""

from __future__ import annotations

import datetime as dt

from soporte import demo
from soporte.workshop import register, salesbook
from soporte.workshop.models import Expense, Repair, RepairStatus, Sale, SaleKind, SalesDay


def test_demo_workshop(db, now):
    demo.load_demo(now=now)
    statuses = set(Repair.objects.values_list("status", flat=True))
    assert {RepairStatus.DELIVERED, RepairStatus.RECEIVED, RepairStatus.ABANDONED} <= statuses
    assert Repair.objects.filter(warranty_of__isnull=False).exists()
    assert Repair.objects.filter(unrepairable_at__isnull=False).exists()
    assert Repair.objects.filter(status=RepairStatus.ABANDONED).exists()
    # Credited to technicians who did not receive them, in some cases.
    assert (
        Repair.objects.exclude(repaired_by=None)
        .exclude(repaired_by=models_f("received_by"))
        .exists()
    )
    data = register.build(start=now - dt.timedelta(days=130), end=now)
    assert len([row for row in data.rows if row.repaired]) >= 3
    months, year = salesbook.book(
        first_day=(now - dt.timedelta(days=115)).date(), last_day=now.date(), grain="month"
    )
    assert len([m for m in months if m.revenue > 0]) >= 4
    assert year.expenses > 0 and year.cost > 0
    assert Sale.objects.filter(kind=SaleKind.REFUND).exists()
    assert Expense.objects.count() >= 12
    before = list(
        SalesDay.objects.order_by("day_date").values_list("day_date", "revenue", "cost", "tax")
    )
    salesbook.recompute_days()
    assert (
        list(
            SalesDay.objects.order_by("day_date").values_list("day_date", "revenue", "cost", "tax")
        )
        == before
    )


def models_f(name):
    from django.db.models import F

    return F(name)
