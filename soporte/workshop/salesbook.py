"""The sales logbook (seed 004, "bitácora de venta"): revenue, cost, gross profit and margin,
the expenses the shop records and the profit or loss, by day, week, month or year.

Revenue is what was sold before IVA and after discounts, net of refunds (a refund is a
negative document on its own day); cost is the ledger's cost of what was sold (a refund
brings it back); gross profit = revenue − cost; margin = gross profit / revenue; profit or
loss = gross profit − expenses. Read from `SalesDay` (one row per day) and the expenses, so
a year by month reads at most 366 + its expenses' rows whatever the number of sale lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from soporte.workshop.models import Expense, Sale, SalesDay

GRAINS = ("day", "week", "month", "year")
ZERO = Decimal("0")


@dataclass
class Bucket:
    start: dt.date
    end: dt.date  # exclusive
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    tax: Decimal = ZERO
    documents: int = 0
    expenses: Decimal = ZERO

    @property
    def gross_profit(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def margin(self) -> Decimal | None:
        return (self.gross_profit / self.revenue) if self.revenue else None

    @property
    def profit(self) -> Decimal:
        return self.gross_profit - self.expenses


def bucket_start(day: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())  # weeks start on Monday
    if grain == "month":
        return day.replace(day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    return day


def next_start(start: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return start + dt.timedelta(days=7)
    if grain == "month":
        return (start + dt.timedelta(days=32)).replace(day=1)
    if grain == "year":
        return start.replace(year=start.year + 1)
    return start + dt.timedelta(days=1)


def book(*, first_day: dt.date, last_day: dt.date, grain: str) -> tuple[list[Bucket], Bucket]:
    """The buckets of [first_day, last_day] (both included) and their total."""
    if grain not in GRAINS:
        raise ValueError(grain)
    buckets: dict[dt.date, Bucket] = {}
    start = bucket_start(first_day, grain)
    while start <= last_day:
        following = next_start(start, grain)
        buckets[start] = Bucket(
            start=max(start, first_day), end=min(following, last_day + dt.timedelta(days=1))
        )
        start = following
    for day in SalesDay.objects.filter(day_date__gte=first_day, day_date__lte=last_day).order_by(
        "day_date"
    ):
        bucket = buckets[bucket_start(day.day_date, grain)]
        bucket.revenue += day.revenue
        bucket.cost += day.cost
        bucket.tax += day.tax
        bucket.documents += day.documents
    expenses = (
        Expense.objects.filter(incurred_date__gte=first_day, incurred_date__lte=last_day)
        .values("incurred_date")
        .annotate(total=Sum("amount"))
    )
    for row in expenses:
        buckets[bucket_start(row["incurred_date"], grain)].expenses += row["total"] or ZERO
    total = Bucket(start=first_day, end=last_day + dt.timedelta(days=1))
    for bucket in buckets.values():
        total.revenue += bucket.revenue
        total.cost += bucket.cost
        total.tax += bucket.tax
        total.documents += bucket.documents
        total.expenses += bucket.expenses
    return list(buckets.values()), total


def _day_of(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


@transaction.atomic
def recompute_days() -> int:
    """Rebuild `SalesDay` from the documents (after a restore, or to check it): returns the
    number of days written."""
    sums: dict[dt.date, list[Decimal | int]] = defaultdict(lambda: [ZERO, ZERO, ZERO, 0])
    for sale in Sale.objects.only("sold_at", "subtotal", "cost", "tax").iterator():
        row = sums[_day_of(sale.sold_at)]
        row[0] += sale.subtotal
        row[1] += sale.cost
        row[2] += sale.tax
        row[3] += 1
    SalesDay.objects.all().delete()
    SalesDay.objects.bulk_create(
        [
            SalesDay(day_date=day, revenue=r[0], cost=r[1], tax=r[2], documents=int(r[3]))
            for day, r in sorted(sums.items())
        ]
    )
    return len(sums)
