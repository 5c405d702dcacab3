"""The staffing planner's page and export (supervisors and administrators only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from soporte.lib import charts, clock, exports
from soporte.lib.errors import Forbidden
from soporte.lib.exports import Column
from soporte.reports import access, reads, staffing
from soporte.reports.forms import StaffingForm
from soporte.reports.metrics import RING_LIMIT
from soporte.reports.periods import PeriodError, make_period


def _gate(request: HttpRequest) -> None:
    try:
        own = access.own_agent_id(request.user)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc
    if own is not None:
        raise PermissionDenied(_("El plan de personal es para supervisores."))


def goal_of(data: dict[str, Any]) -> staffing.Goal:
    target = data.get("objetivo") or staffing.target_from_rings(
        data.get("timbres") or RING_LIMIT, data.get("cadencia") or "mx"
    )
    return staffing.Goal(
        service_level=(data.get("nivel_servicio") or 80) / 100,
        target_seconds=float(target),
        shrinkage=(30 if data.get("reduccion") is None else data["reduccion"]) / 100,
        max_occupancy=(data.get("ocupacion") or 85) / 100,
    )


def plan(form: StaffingForm) -> dict[str, Any]:
    """The plan for a valid form: typed figures (one interval and the head counts around its
    answer) or history (a week of half hours). Raises PeriodError for a bad history range."""
    data = form.cleaned_data
    goal = goal_of(data)
    result: dict[str, Any] = {"goal": goal, "source": data.get("origen") or "cifras"}
    if result["source"] == "cifras":
        load = staffing.Load(
            calls=data["llamadas"], aht_seconds=data["tmo"], patience_seconds=data.get("paciencia")
        )
        result["load"] = load
        result["row"] = staffing.row_for(load, goal)
        result["around"] = staffing.around(load, goal)
        return result
    today = clock.desk_date(clock.now())
    period = make_period(
        data.get("desde") or today - dt.timedelta(days=28),
        data.get("hasta") or today - dt.timedelta(days=1),
        today=today,
    )
    history = staffing.from_history(reads.Scope(start_at=period.start_at, end_at=period.end_at))
    result.update(period=period, history=history, grid=staffing.week_grid(history.loads, goal))
    return result


def grid_columns() -> list[Column]:
    return [
        Column("day", _("Día")),
        Column("time", _("Hora")),
        Column("calls", _("Llamadas por media hora"), "decimal"),
        Column("aht", _("TMO (s)"), "decimal"),
        Column("c_agents", _("Agentes (Erlang C)"), "int"),
        Column("c_scheduled", _("A programar (Erlang C)"), "int"),
        Column("a_agents", _("Agentes (Erlang A)"), "int"),
        Column("a_scheduled", _("A programar (Erlang A)"), "int"),
        Column("present", _("Presentes (historia)"), "decimal"),
    ]


def around_columns() -> list[Column]:
    return [
        Column("agents", _("Agentes")),
        Column("scheduled", _("A programar"), "int"),
        Column("c_sl", _("Nivel de servicio (C)"), "percent"),
        Column("c_asa", _("ASA (C, s)"), "decimal"),
        Column("c_occupancy", _("Ocupación (C)"), "percent"),
        Column("a_sl", _("Nivel de servicio (A)"), "percent"),
        Column("a_asa", _("ASA (A, s)"), "decimal"),
        Column("a_occupancy", _("Ocupación (A)"), "percent"),
        Column("a_abandon", _("Abandono (A)"), "percent"),
    ]


def _grid_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**row, "day": str(WEEKDAYS_ABBR[row["weekday"]])} for row in result["grid"]]


_KIND = {"int": "count", "percent": "share", "decimal": "decimal", "text": "text"}


def _cells(columns: list[Column], rows: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            str(r.get(c.key, ""))
            if c.kind == "text"
            else charts.format_value(r.get(c.key), _KIND[c.kind])
            for c in columns
        ]
        for r in rows
    ]


@login_required
@require_GET
def staffing_page(request: HttpRequest) -> HttpResponse:
    _gate(request)
    form = StaffingForm(request.GET or None)
    context: dict[str, Any] = {"form": form, "querystring": request.GET.urlencode()}
    if not request.GET:
        return render(request, "reports/staffing.html", context)
    if not form.is_valid():
        return render(request, "reports/staffing.html", context, status=400)
    try:
        result = plan(form)
    except PeriodError as exc:
        form.add_error(None, str(exc))
        return render(request, "reports/staffing.html", context, status=400)
    context["result"] = result
    goal = result["goal"]
    context["goal_text"] = {
        "sl": charts.format_value(goal.service_level, "share"),
        "t": charts.format_value(goal.target_seconds, "seconds"),
        "s": charts.format_value(goal.shrinkage, "share"),
        "o": charts.format_value(goal.max_occupancy, "share"),
    }
    if result["source"] == "cifras":
        rows = result["around"]
        columns = around_columns()
        context.update(
            columns=columns, cells=_cells(columns, rows), answer_rows=[r["answer"] for r in rows]
        )
        series = {_("Nivel de servicio (Erlang C)"): [r["c_sl"] for r in rows]}
        if result["load"].patience_seconds:
            series[_("Nivel de servicio (Erlang A)")] = [r["a_sl"] for r in rows]
        context["chart"] = charts.bar_chart(
            title=_("Nivel de servicio por número de agentes"),
            labels=[str(r["agents"]) for r in rows],
            series=series,
            kind="share",
        )
    else:
        rows = _grid_rows(result)
        columns = grid_columns()
        context.update(
            columns=columns, cells=_cells(columns, rows), answer_rows=[False] * len(rows)
        )
        if rows:
            context["chart"] = charts.line_chart(
                title=_("Agentes necesarios y presentes en la semana"),
                x_labels=[f"{r['day']} {r['time']}" for r in rows],
                series={
                    _("Erlang C"): [r["c_agents"] for r in rows],
                    _("Erlang A"): [r["a_agents"] for r in rows],
                    _("Presentes"): [r["present"] for r in rows],
                },
                kind="decimal",
            )
    return render(request, "reports/staffing.html", context)


@login_required
@require_GET
def staffing_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    _gate(request)
    if fmt not in exports.FORMATS:
        raise Http404
    form = StaffingForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    try:
        result = plan(form)
    except PeriodError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    if result["source"] == "cifras":
        columns, rows = around_columns(), result["around"]
    else:
        columns, rows = grid_columns(), _grid_rows(result)
    return exports.export_response(
        fmt,
        name="plan-de-personal",
        title=_("Plan de personal"),
        columns=columns,
        rows=rows,
    )
