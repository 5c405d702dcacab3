"""The repair register (seed 004, "bitácora de registro de reparación"): per technician and
period, what came in, what was repaired, what could not be, what came back under warranty,
the share repaired, the median turnaround (received → ready) and the time in each status.

A repair is credited to the technician who marked it repaired (`repaired_by`), on the day it
was marked (`repaired_at`), whoever received or charged it; a warranty return counts against
the technician who repaired the original. Periods are half-open [start, end).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from soporte.directory.models import User
from soporte.workshop.models import Repair, RepairStatus, StatusChange

# The statuses a repair waits in before it is ready (the register's "time in each status").
WORK_STATUSES = (
    RepairStatus.RECEIVED,
    RepairStatus.DIAGNOSING,
    RepairStatus.AWAITING_APPROVAL,
    RepairStatus.AWAITING_PARTS,
    RepairStatus.REPAIRING,
)


@dataclass
class TechnicianRow:
    technician_id: int
    name: str
    received: int = 0
    repaired: int = 0
    unrepairable: int = 0
    warranty_returns: int = 0
    median_turnaround_hours: float | None = None
    hours_in_status: dict[str, float] = field(default_factory=dict)

    @property
    def status_cells(self) -> list[float | None]:
        return [self.hours_in_status.get(status) for status in WORK_STATUSES]

    @property
    def share_repaired(self) -> float | None:
        """Repaired over decided (repaired + not repairable) in the period."""
        decided = self.repaired + self.unrepairable
        return self.repaired / decided if decided else None


@dataclass
class Register:
    start: dt.datetime
    end: dt.datetime
    rows: list[TechnicianRow]
    months: list[dt.date]
    # technician id → repaired per month (in `months` order).
    monthly: dict[int, list[int]]


def _period(queryset, field_name: str, start: dt.datetime, end: dt.datetime):  # type: ignore[no-untyped-def]
    return queryset.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _months(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    local = timezone.localtime(start).date().replace(day=1)
    last = timezone.localtime(end - dt.timedelta(microseconds=1)).date()
    months = []
    while local <= last:
        months.append(local)
        local = (local + dt.timedelta(days=32)).replace(day=1)
    return months


def build(*, start: dt.datetime, end: dt.datetime, technician: User | None = None) -> Register:
    repairs = Repair.objects.all()
    if technician is not None:
        repairs = repairs.filter(repaired_by=technician) | repairs.filter(technician=technician)
    rows: dict[int, TechnicianRow] = {}

    def row(user_id: int | None) -> TechnicianRow | None:
        if user_id is None or (technician is not None and user_id != technician.pk):
            return None
        if user_id not in rows:
            rows[user_id] = TechnicianRow(technician_id=user_id, name="")
        return rows[user_id]

    for item in (
        _period(repairs, "received_at", start, end).values("technician").annotate(n=Count("id"))
    ):
        if (r := row(item["technician"])) is not None:
            r.received = item["n"]
    for item in (
        _period(repairs, "repaired_at", start, end).values("repaired_by").annotate(n=Count("id"))
    ):
        if (r := row(item["repaired_by"])) is not None:
            r.repaired = item["n"]
    for item in (
        _period(Repair.objects.all(), "unrepairable_at", start, end)
        .values("unrepairable_by")
        .annotate(n=Count("id"))
    ):
        if (r := row(item["unrepairable_by"])) is not None:
            r.unrepairable = item["n"]
    for item in (
        _period(Repair.objects.filter(warranty_of__isnull=False), "received_at", start, end)
        .values("warranty_of__repaired_by")
        .annotate(n=Count("id"))
    ):
        if (r := row(item["warranty_of__repaired_by"])) is not None:
            r.warranty_returns = item["n"]
    credited = _period(Repair.objects.all(), "repaired_at", start, end)
    turnaround: dict[int, list[float]] = defaultdict(list)
    for user_id, received_at, repaired_at in credited.values_list(
        "repaired_by", "received_at", "repaired_at"
    ):
        turnaround[user_id].append((repaired_at - received_at).total_seconds() / 3600)
    for user_id, hours in turnaround.items():
        if (r := row(user_id)) is not None:
            r.median_turnaround_hours = statistics.median(hours)
    for item in (
        StatusChange.objects.filter(
            repair__repaired_at__gte=start,
            repair__repaired_at__lt=end,
            from_status__in=WORK_STATUSES,
        )
        .values("repair__repaired_by", "from_status")
        .annotate(avg=Avg("seconds_in_from"))
    ):
        if (r := row(item["repair__repaired_by"])) is not None:
            r.hours_in_status[item["from_status"]] = float(item["avg"] or 0) / 3600
    names = {
        user.pk: str(user)
        for user in User.objects.filter(pk__in=rows.keys()).only(
            "first_name", "last_name", "username"
        )
    }
    for r in rows.values():
        r.name = names.get(r.technician_id, "")
    months = _months(start, end)
    monthly: dict[int, list[int]] = {pk: [0] * len(months) for pk in rows}
    index = {month: i for i, month in enumerate(months)}
    for item in (
        credited.annotate(month=TruncMonth("repaired_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "repaired_by")
        .annotate(n=Count("id"))
    ):
        month = item["month"]
        month_date = month.date() if isinstance(month, dt.datetime) else month
        if item["repaired_by"] in monthly and month_date in index:
            monthly[item["repaired_by"]][index[month_date]] = item["n"]
    ordered = sorted(rows.values(), key=lambda r: (-r.repaired, r.name, r.technician_id))
    return Register(start=start, end=end, rows=ordered, months=months, monthly=monthly)
