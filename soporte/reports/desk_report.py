"""Desk metrics (issue item 2): tickets opened and closed per channel, kind of support and kind
of attention; the backlog and its age; SLA compliance per target, level and priority;
escalations per level and reason; first-response and resolution times in business hours;
survey satisfaction.

Each part is a `table`: JSON-able rows, their columns and the chart drawn from them, so the
page, the API and the exports say the same thing.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from soporte.lib import charts
from soporte.lib.business_time import business_seconds
from soporte.lib.exports import Column
from soporte.tickets import sla
from soporte.tickets.models import (
    Channel,
    Direction,
    Escalation,
    Priority,
    SlaTarget,
    Status,
    StatusChange,
    SupportKind,
    Survey,
    Ticket,
)

# Backlog ages at the end of the period: [lower, upper) in days.
AGE_BUCKETS: tuple[tuple[float, float], ...] = ((0, 1), (1, 3), (3, 7), (7, 30), (30, float("inf")))
TOP_REASONS = 10


@dataclass(frozen=True)
class DeskScope:
    start_at: dt.datetime
    end_at: dt.datetime
    agent_id: int | None = None  # an agent sees the tickets assigned to them


def _tickets(scope: DeskScope) -> Any:
    tickets = Ticket.objects.all()
    if scope.agent_id is not None:
        tickets = tickets.filter(assignee_id=scope.agent_id)
    return tickets


def _table(
    table_id: str,
    title: str,
    columns: list[tuple[str, str, str]],
    rows: list[dict[str, Any]],
    chart: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """columns: (key, label, export kind: text/int/percent/decimal)."""
    return {"id": table_id, "title": title, "columns": columns, "rows": rows, "chart": chart}


def _opened_closed(scope: DeskScope) -> list[dict[str, Any]]:
    tickets = _tickets(scope)
    opened = list(
        tickets.filter(created_at__gte=scope.start_at, created_at__lt=scope.end_at).values_list(
            "channel", "support_kind", "direction", "decision_maker_id"
        )
    )
    closed = list(
        tickets.filter(closed_at__gte=scope.start_at, closed_at__lt=scope.end_at).values_list(
            "channel", "support_kind", "direction", "decision_maker_id"
        )
    )

    def attention(decision_maker_id: int | None) -> str:
        return "indirect" if decision_maker_id else "direct"

    parts = [
        ("channel", _("Por canal"), _("Canal"), dict(Channel.choices), 0),
        (
            "support_kind",
            _("Por tipo de soporte"),
            _("Tipo de soporte"),
            dict(SupportKind.choices),
            1,
        ),
        ("direction", _("Por tipo de atención"), _("Atención"), dict(Direction.choices), 2),
    ]
    tables = []
    for table_id, title, head, labels, index in parts:
        o = Counter(row[index] for row in opened)
        c = Counter(row[index] for row in closed)
        rows = [
            {"key": key, "label": str(label), "opened": o.get(key, 0), "closed": c.get(key, 0)}
            for key, label in labels.items()
        ]
        tables.append(
            _table(
                table_id,
                title,
                [
                    ("label", head, "text"),
                    ("opened", _("Abiertos"), "int"),
                    ("closed", _("Cerrados"), "int"),
                ],
                rows,
                {"type": "bar", "series": ["opened", "closed"], "kind": "count"},
            )
        )
    o = Counter(attention(row[3]) for row in opened)
    c = Counter(attention(row[3]) for row in closed)
    direct = [
        {"key": key, "label": label, "opened": o.get(key, 0), "closed": c.get(key, 0)}
        for key, label in (
            ("direct", _("Directa (decide quien solicita)")),
            ("indirect", _("Indirecta (decide otra persona)")),
        )
    ]
    tables.append(
        _table(
            "decision",
            _("Atención directa o indirecta"),
            [
                ("label", _("Atención"), "text"),
                ("opened", _("Abiertos"), "int"),
                ("closed", _("Cerrados"), "int"),
            ],
            direct,
            {"type": "bar", "series": ["opened", "closed"], "kind": "count"},
        )
    )
    return tables


def _backlog(scope: DeskScope) -> dict[str, Any]:
    """Tickets open at the end of the period: created before it, not resolved, closed or
    cancelled by then (a ticket reopened later counts as open only from its reopening on)."""
    end = scope.end_at
    open_then = (
        _tickets(scope)
        .filter(created_at__lt=end)
        .exclude(Q(resolved_at__lt=end) | Q(closed_at__lt=end))
    )
    cancelled = set(
        StatusChange.objects.filter(to_status=Status.CANCELLED, at__lt=end).values_list(
            "ticket_id", flat=True
        )
    )
    ages = [
        (end - created_at).total_seconds() / 86400
        for pk, created_at in open_then.values_list("pk", "created_at")
        if pk not in cancelled
    ]
    labels = [
        _("Menos de 1 día"),
        _("1 a 3 días"),
        _("3 a 7 días"),
        _("7 a 30 días"),
        _("Más de 30 días"),
    ]
    rows = [
        {
            "key": str(i),
            "label": labels[i],
            "tickets": sum(1 for a in ages if lo <= a < hi),
        }
        for i, (lo, hi) in enumerate(AGE_BUCKETS)
    ]
    table = _table(
        "backlog",
        _("Pendientes al final del periodo, por antigüedad"),
        [("label", _("Antigüedad"), "text"), ("tickets", _("Tickets"), "int")],
        rows,
        {"type": "bar", "series": ["tickets"], "kind": "count"},
    )
    table["summary"] = _summary(
        ("open", _("Pendientes"), len(ages), "count"),
        (
            "median_age_days",
            _("Antigüedad mediana (días)"),
            statistics.median(ages) if ages else None,
            "decimal",
        ),
    )
    return table


def _summary(*items: tuple[str, str, float | int | None, str]) -> list[dict[str, Any]]:
    return [
        {"key": key, "label": label, "value": value, "text": charts.format_value(value, kind)}
        for key, label, value, kind in items
    ]


def _changes_by_ticket(ids: Iterable[int]) -> dict[int, list[tuple[dt.datetime, str, str]]]:
    changes: dict[int, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    for ticket_id, at, source, target in StatusChange.objects.filter(
        ticket_id__in=list(ids)
    ).values_list("ticket_id", "at", "from_status", "to_status"):
        changes[ticket_id].append((at, source, target))
    return changes


def _sla_and_times(scope: DeskScope, now: dt.datetime) -> list[dict[str, Any]]:
    """SLA compliance of the tickets opened in the period (met ÷ met + breached; clocks still
    running within their budget are not counted yet), and their business-hours times."""
    calendar = sla.desk_calendar(settings.TIME_ZONE)
    policies = sla.sla_policies()
    tickets = list(
        _tickets(scope)
        .filter(created_at__gte=scope.start_at, created_at__lt=scope.end_at)
        .exclude(status=Status.CANCELLED)
        .values_list(
            "pk",
            "status",
            "level",
            "priority",
            "created_at",
            "first_response_at",
            "last_update_at",
            "resolved_at",
            "closed_at",
        )
    )
    changes = _changes_by_ticket(t[0] for t in tickets)
    # (axis, key) → [met, breached]
    per: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    first_response: list[float] = []
    resolution: list[float] = []
    for pk, status, level, priority, created_at, first_at, last_at, resolved, closed in tickets:
        # A closed ticket without resolved_at (closed before change_status kept it, with no
        # "Resuelto" in its history for tickets 0011 to restore) was resolved by then.
        resolved_at = resolved or closed
        pauses = sla.waiting_intervals(changes.get(pk, []), now=now)
        if first_at is not None:
            first_response.append(business_seconds(calendar, created_at, first_at))
        if resolved_at is not None:
            resolution.append(business_seconds(calendar, created_at, resolved_at, pauses))
        policy = policies.get((level, priority))
        if policy is None:
            continue
        times = sla.TicketTimes(status, created_at, first_at, last_at, resolved_at)
        for clock in sla.clocks(calendar, policy, times, pauses, now=now):
            state = clock.state
            if state not in ("met", "breached"):
                continue
            hit = 0 if state == "met" else 1
            for axis, key in (
                ("target", clock.target),
                ("level", str(level)),
                ("priority", priority),
            ):
                per[(axis, key)][hit] += 1

    def rows(axis: str, labels: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for key, label in labels.items():
            met, breached = per.get((axis, key), [0, 0])
            out.append(
                {
                    "key": key,
                    "label": str(label),
                    "met": met,
                    "breached": breached,
                    "compliance": met / (met + breached) if met + breached else None,
                }
            )
        return out

    columns = [
        ("label", "", "text"),
        ("met", _("Cumplidos"), "int"),
        ("breached", _("Vencidos"), "int"),
        ("compliance", _("Cumplimiento"), "percent"),
    ]
    chart = {"type": "bar", "series": ["compliance"], "kind": "share"}
    sla_tables = [
        _table(
            f"sla_{axis}",
            title,
            [(k, head if k == "label" else lab, kind) for k, lab, kind in columns],
            rows(axis, labels),
            chart,
        )
        for axis, title, head, labels in (
            (
                "target",
                _("Cumplimiento de SLA por objetivo"),
                _("Objetivo"),
                dict(SlaTarget.choices),
            ),
            (
                "level",
                _("Cumplimiento de SLA por nivel"),
                _("Nivel"),
                {str(n): _("Nivel %(n)s") % {"n": n} for n in range(1, 5)},
            ),
            (
                "priority",
                _("Cumplimiento de SLA por prioridad"),
                _("Prioridad"),
                dict(Priority.choices),
            ),
        )
    ]

    def hours(values: list[float]) -> dict[str, Any]:
        return {
            "tickets": len(values),
            "average": statistics.fmean(values) / 3600 if values else None,
            "median": statistics.median(values) / 3600 if values else None,
        }

    times_rows = [
        {"key": "first_response", "label": _("Primera respuesta"), **hours(first_response)},
        {"key": "resolution", "label": _("Resolución"), **hours(resolution)},
    ]
    sla_tables.append(
        _table(
            "times",
            _("Tiempos en horas hábiles (tickets abiertos en el periodo)"),
            [
                ("label", _("Tiempo"), "text"),
                ("tickets", _("Tickets"), "int"),
                ("average", _("Promedio (h hábiles)"), "decimal"),
                ("median", _("Mediana (h hábiles)"), "decimal"),
            ],
            times_rows,
            {"type": "bar", "series": ["average", "median"], "kind": "decimal"},
        )
    )
    return sla_tables


def _escalations(scope: DeskScope) -> list[dict[str, Any]]:
    escalations = Escalation.objects.filter(at__gte=scope.start_at, at__lt=scope.end_at)
    if scope.agent_id is not None:
        escalations = escalations.filter(
            Q(from_agent_id=scope.agent_id) | Q(to_agent_id=scope.agent_id)
        )
    rows = list(escalations.values_list("to_level", "reason", "automatic"))
    levels = Counter(level for level, _reason, _auto in rows)
    by_level = [
        {"key": str(n), "label": _("Al nivel %(n)s") % {"n": n}, "escalations": levels.get(n, 0)}
        for n in range(2, 5)
    ]
    reasons: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for _level, reason, automatic in rows:
        text = _("Automática (SLA vencido)") if automatic else " ".join(reason.split())[:80]
        key = text.casefold()
        shown.setdefault(key, text)
        reasons[key] += 1
    by_reason = [
        {"key": key, "label": shown[key], "escalations": n}
        for key, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_REASONS]
    ]
    columns = [("label", _("Nivel"), "text"), ("escalations", _("Escalamientos"), "int")]
    return [
        _table(
            "escalation_level",
            _("Escalamientos por nivel"),
            columns,
            by_level,
            {"type": "bar", "series": ["escalations"], "kind": "count"},
        ),
        _table(
            "escalation_reason",
            _("Escalamientos por motivo (los %(n)s más frecuentes)") % {"n": TOP_REASONS},
            [("label", _("Motivo"), "text"), ("escalations", _("Escalamientos"), "int")],
            by_reason,
            {"type": "bar", "series": ["escalations"], "kind": "count", "horizontal": True},
        ),
    ]


def _surveys(scope: DeskScope) -> dict[str, Any]:
    surveys = Survey.objects.filter(answered_at__gte=scope.start_at, answered_at__lt=scope.end_at)
    if scope.agent_id is not None:
        surveys = surveys.filter(ticket__assignee_id=scope.agent_id)
    answers = list(surveys.values_list("satisfaction", "resolved"))
    counts = Counter(s for s, _r in answers)
    rows = [{"key": str(n), "label": "★" * n, "answers": counts.get(n, 0)} for n in range(1, 6)]
    table = _table(
        "survey",
        _("Satisfacción (encuestas respondidas en el periodo)"),
        [("label", _("Calificación"), "text"), ("answers", _("Respuestas"), "int")],
        rows,
        {"type": "bar", "series": ["answers"], "kind": "count"},
    )
    n = len(answers)
    table["summary"] = _summary(
        ("answers", _("Respuestas"), n, "count"),
        (
            "average",
            _("Promedio (1 a 5)"),
            statistics.fmean(s for s, _r in answers) if n else None,
            "decimal",
        ),
        (
            "satisfied",
            _("Satisfechos (4 o 5)"),
            sum(1 for s, _r in answers if s >= 4) / n if n else None,
            "share",
        ),
        (
            "resolved",
            _("Dicen que se resolvió"),
            sum(1 for _s, r in answers if r) / n if n else None,
            "share",
        ),
    )
    return table


def _opened_per_day(scope: DeskScope, days: list[dt.date]) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(settings.TIME_ZONE)
    tickets = _tickets(scope)
    opened = Counter(
        at.astimezone(tz).date()
        for at in tickets.filter(
            created_at__gte=scope.start_at, created_at__lt=scope.end_at
        ).values_list("created_at", flat=True)
    )
    closed = Counter(
        at.astimezone(tz).date()
        for at in tickets.filter(
            closed_at__gte=scope.start_at, closed_at__lt=scope.end_at
        ).values_list("closed_at", flat=True)
    )
    from django.utils import formats

    rows = [
        {
            "key": d.isoformat(),
            "label": formats.date_format(d, "SHORT_DATE_FORMAT"),
            "opened": opened.get(d, 0),
            "closed": closed.get(d, 0),
        }
        for d in days
    ]
    return _table(
        "per_day",
        _("Tickets abiertos y cerrados por día"),
        [
            ("label", _("Día"), "text"),
            ("opened", _("Abiertos"), "int"),
            ("closed", _("Cerrados"), "int"),
        ],
        rows,
        {"type": "line", "series": ["opened", "closed"], "kind": "count"},
    )


def build(scope: DeskScope, days: list[dt.date], *, now: dt.datetime) -> dict[str, Any]:
    """Every desk table for the scope; `now` closes the clocks of tickets still running."""
    tables = [_opened_per_day(scope, days)]
    tables += _opened_closed(scope)
    tables.append(_backlog(scope))
    tables += _sla_and_times(scope, now)
    tables += _escalations(scope)
    tables.append(_surveys(scope))
    return {"tables": tables}


def table(report: dict[str, Any], table_id: str) -> dict[str, Any] | None:
    return next((t for t in report["tables"] if t["id"] == table_id), None)


def columns_of(t: dict[str, Any]) -> list[Column]:
    return [Column(key, label or t["title"], kind) for key, label, kind in t["columns"]]


_SHOWN_AS = {"int": "count", "percent": "share", "decimal": "decimal", "text": "text"}


def rendered(t: dict[str, Any]) -> dict[str, Any]:
    """A table with its chart drawn and its cells formatted for the page."""
    spec = t.get("chart")
    names = {key: label for key, label, _kind in t["columns"]}
    svg = None
    if spec and t["rows"]:
        labels = [r["label"] for r in t["rows"]]
        series = {names[s]: [r[s] for r in t["rows"]] for s in spec["series"]}
        if spec["type"] == "line":
            svg = charts.line_chart(
                title=t["title"], x_labels=labels, series=series, kind=spec["kind"]
            )
        else:
            svg = charts.bar_chart(
                title=t["title"],
                labels=labels,
                series=series,
                kind=spec["kind"],
                horizontal=spec.get("horizontal", False),
            )
    cells = [
        [
            r[key] if kind == "text" else charts.format_value(r[key], _SHOWN_AS[kind])
            for key, _label, kind in t["columns"]
        ]
        for r in t["rows"]
    ]
    return {
        **t,
        "svg": svg,
        "cells": cells,
        "headers": [lab or "" for _k, lab, _kind in t["columns"]],
    }
