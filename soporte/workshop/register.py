"""The repair register (seed 004, "bitácora de registro de reparación"): per technician and
period, what came in, what was repaired, what could not be, what came back under warranty,
the share repaired, the median turnaround (received → ready) and the time in each status.

A repair is credited to the technician who marked it repaired (`repaired_by`), on the day it
was marked (`repaired_at`), whoever received or charged it; a warranty return counts against
the technician who repaired the original. Periods are half-open [start, end).

`build` reads a period of whole desk days from `RepairDay` (per technician and day sums kept
in the write path by `count`, and each repair's stored turnaround); any other period, and
the check of those sums, is computed from the repairs themselves (`build_from_repairs`).
`recompute_days` rebuilds the sums from the repairs (after a restore, or in the benchmark's
bulk seed); the tests compare both ways on the same repairs.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Count, F, Sum, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone

from soporte.directory.models import User
from soporte.lib.clock import desk_date
from soporte.workshop.models import Repair, RepairDay, RepairStatus, StatusChange

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


def _is_midnight(moment: dt.datetime) -> bool:
    local = timezone.localtime(moment)
    return (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0)


def build(*, start: dt.datetime, end: dt.datetime, technician: User | None = None) -> Register:
    """The register for [start, end): from the day sums when the period is whole desk days
    (every page, export and API call), else from the repairs."""
    if _is_midnight(start) and _is_midnight(end):
        return build_from_days(start=start, end=end, technician=technician)
    return build_from_repairs(start=start, end=end, technician=technician)


# --- the write path: the day sums -----------------------------------------------------------


def count(technician_id: int | None, moment: dt.datetime, **amounts: int) -> None:
    """Add `amounts` (column → how many) to the technician's day of `moment`, in the caller's
    transaction. A relative UPDATE: two repairs of one day add up instead of overwriting."""
    if technician_id is None or not any(amounts.values()):
        return
    day = desk_date(moment)
    RepairDay.objects.bulk_create(
        [RepairDay(technician_id=technician_id, day_date=day, month_date=day.replace(day=1))],
        ignore_conflicts=True,
    )
    RepairDay.objects.filter(technician_id=technician_id, day_date=day).update(
        **{column: F(column) + amount for column, amount in amounts.items()}
    )


def time_in_status(repair: Repair) -> dict[str, int]:
    """What a repair marked repaired adds to its repairer's day: the seconds it spent in
    each work status and how many stays, as `RepairDay` columns."""
    amounts: dict[str, int] = {}
    for status, seconds in repair.changes.filter(from_status__in=WORK_STATUSES).values_list(
        "from_status", "seconds_in_from"
    ):
        amounts[f"{status}_seconds"] = amounts.get(f"{status}_seconds", 0) + seconds
        amounts[f"{status}_changes"] = amounts.get(f"{status}_changes", 0) + 1
    return amounts


def recompute_days(
    repair_model: Any = Repair, change_model: Any = StatusChange, day_model: Any = RepairDay
) -> int:
    """Rebuild every `RepairDay` (and each repaired repair's turnaround) from the repairs and
    their status changes; returns the number of rows written. The models are arguments so the
    data migration can pass its historical ones."""
    sums: dict[tuple[int, dt.date], dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(user_id: int | None, moment: dt.datetime | None, column: str, amount: int) -> None:
        if user_id is not None and moment is not None:
            sums[(user_id, desk_date(moment))][column] += amount

    for (
        tech,
        received_at,
        repairer,
        repaired_at,
        unfit_by,
        unfit_at,
        original,
    ) in repair_model.objects.values_list(
        "technician_id",
        "received_at",
        "repaired_by_id",
        "repaired_at",
        "unrepairable_by_id",
        "unrepairable_at",
        "warranty_of__repaired_by_id",
    ).iterator(chunk_size=5000):
        add(tech, received_at, "received", 1)
        add(repairer, repaired_at, "repaired", 1)
        add(unfit_by, unfit_at, "unrepairable", 1)
        add(original, received_at, "warranty_returns", 1)
    for status, seconds, repairer, repaired_at in (
        change_model.objects.filter(
            from_status__in=WORK_STATUSES, repair__repaired_at__isnull=False
        )
        .values_list(
            "from_status", "seconds_in_from", "repair__repaired_by_id", "repair__repaired_at"
        )
        .iterator(chunk_size=5000)
    ):
        add(repairer, repaired_at, f"{status}_seconds", seconds)
        add(repairer, repaired_at, f"{status}_changes", 1)
    stale = []
    for pk, received_at, repaired_at, stored in (
        repair_model.objects.filter(repaired_at__isnull=False)
        .values_list("pk", "received_at", "repaired_at", "turnaround_seconds")
        .iterator(chunk_size=5000)
    ):
        seconds = turnaround_seconds(received_at, repaired_at)
        if stored != seconds:
            stale.append(repair_model(pk=pk, turnaround_seconds=seconds))
    repair_model.objects.bulk_update(stale, ["turnaround_seconds"], batch_size=1000)
    day_model.objects.all().delete()
    day_model.objects.bulk_create(
        [
            day_model(technician_id=user_id, day_date=day, month_date=day.replace(day=1), **columns)
            for (user_id, day), columns in sorted(sums.items())
        ],
        batch_size=2000,
    )
    return len(sums)


def turnaround_seconds(received_at: dt.datetime, repaired_at: dt.datetime) -> float:
    """Received → ready, as the register's median reads it (stored on the repair)."""
    return (repaired_at - received_at).total_seconds()


# --- reading ---------------------------------------------------------------------------------


def build_from_days(
    *, start: dt.datetime, end: dt.datetime, technician: User | None = None
) -> Register:
    """The register of whole desk days, from `RepairDay` and the stored turnarounds."""
    first_day, end_day = desk_date(start), desk_date(end)
    days = RepairDay.objects.filter(day_date__gte=first_day, day_date__lt=end_day)
    credited = Repair.objects.filter(repaired_at__gte=start, repaired_at__lt=end)
    if technician is not None:
        days = days.filter(technician=technician)
    columns = ["received", "repaired", "unrepairable", "warranty_returns"]
    for status in WORK_STATUSES:
        columns += [f"{status}_seconds", f"{status}_changes"]
    # One scan of the period's days, summed per technician and month (at most 12 rows a
    # technician for a year): the totals add the months up, the chart reads them as they are.
    totals: dict[int, dict[str, int]] = {}
    by_month: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for item in days.values("technician", "month_date").annotate(**{c: Sum(c) for c in columns}):
        total = totals.setdefault(item["technician"], dict.fromkeys(columns, 0))
        for column in columns:
            total[column] += item[column]
        by_month[item["technician"]][item["month_date"]] = item["repaired"]
    rows: dict[int, TechnicianRow] = {}
    for user_id, total in totals.items():
        row = TechnicianRow(
            technician_id=user_id,
            name="",
            received=total["received"],
            repaired=total["repaired"],
            unrepairable=total["unrepairable"],
            warranty_returns=total["warranty_returns"],
        )
        for status in WORK_STATUSES:
            if total[f"{status}_changes"]:
                row.hours_in_status[status] = (
                    total[f"{status}_seconds"] / total[f"{status}_changes"] / 3600
                )
        rows[user_id] = row
    for user_id, hours in _medians(credited).items():
        if user_id in rows:
            rows[user_id].median_turnaround_hours = hours
    _name(rows)
    months = _months(start, end)
    monthly = {pk: [by_month[pk].get(month, 0) for month in months] for pk in rows}
    ordered = sorted(rows.values(), key=lambda r: (-r.repaired, r.name, r.technician_id))
    return Register(start=start, end=end, rows=ordered, months=months, monthly=monthly)


def _medians(credited: Any) -> dict[int, float]:
    """Each technician's median turnaround (hours) in one query: the database numbers every
    technician's credited repairs by turnaround (a window over `workshop_repair_turnaround_idx`:
    technician, repaired_at, turnaround) and returns only the middle one or two of each."""
    middle = (
        credited.annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("repaired_by")],
                order_by=F("turnaround_seconds").asc(),
            ),
            count=Window(Count("id"), partition_by=[F("repaired_by")]),
        )
        # 1-based positions (n+1)//2 .. n//2+1: one for an odd count, two for an even one.
        .filter(position__gte=(F("count") + 1) / 2, position__lte=F("count") / 2 + 1)
        .values_list("repaired_by", "turnaround_seconds")
    )
    values: dict[int, list[float]] = defaultdict(list)
    for user_id, seconds in middle:
        values[user_id].append((seconds or 0.0) / 3600)
    return {user_id: statistics.median(hours) for user_id, hours in values.items()}


def _name(rows: dict[int, TechnicianRow]) -> None:
    names = {
        user.pk: str(user)
        for user in User.objects.filter(pk__in=rows.keys()).only(
            "first_name", "last_name", "username"
        )
    }
    for r in rows.values():
        r.name = names.get(r.technician_id, "")


def build_from_repairs(
    *, start: dt.datetime, end: dt.datetime, technician: User | None = None
) -> Register:
    """The register computed from the repairs and their status changes (any period; the
    reference the day sums are checked against)."""
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
    _name(rows)
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
