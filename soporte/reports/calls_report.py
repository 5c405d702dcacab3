"""The contact-centre report: figures for a scope, grouped by one dimension, and the weekday ×
hour grid, as plain JSON-able data. The page, the API, the exports and the background build all
use `build`; charts are drawn from its result (`charts_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import formats
from django.utils.dates import WEEKDAYS
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from soporte.calls.models import PhoneLine
from soporte.directory.models import Agent, Area
from soporte.lib import charts
from soporte.lib.exports import Column
from soporte.reports import metrics, reads, summaries
from soporte.reports.metrics import Definitions

# The per-group columns: (figure code, export kind). Labels come from the figures themselves.
GROUP_FIGURES: tuple[tuple[str, str], ...] = (
    ("offered", "int"),
    ("answered", "int"),
    ("abandoned", "int"),
    ("service_level", "percent"),
    ("before_third_ring", "percent"),
    ("abandon_rate", "percent"),
    ("asa", "decimal"),
    ("aht", "decimal"),
    ("hold_rate", "percent"),
    ("holds_over_limit", "int"),
    ("transfer_rate", "percent"),
)


def dimension_labels() -> dict[str, str]:
    return {
        "day": _("Día"),
        "agent": _("Agente"),
        "level": _("Nivel"),
        "area": _("Área"),
        "line": _("Línea"),
        "hour": _("Hora del día"),
    }


def _labels(dimension: str, keys: list[Any]) -> dict[Any, str]:
    ids = [k for k in keys if k is not None]
    if dimension == "agent":
        names = {a.pk: a.name for a in Agent.objects.select_related("user").filter(pk__in=ids)}
        return {k: names.get(k, _("Sin agente")) for k in keys}
    if dimension == "area":
        areas = {a.pk: a.name for a in Area.objects.filter(pk__in=ids)}
        return {k: areas.get(k, _("Sin área")) for k in keys}
    if dimension == "line":
        lines = dict(PhoneLine.objects.filter(pk__in=ids).values_list("pk", "name"))
        return {k: lines.get(k, "—") for k in keys}
    if dimension == "level":
        return {k: _("Nivel %(n)s") % {"n": k} if k else _("Sin nivel") for k in keys}
    if dimension == "hour":
        return {k: f"{k:02d}:00" for k in keys}
    return {k: formats.date_format(k, "SHORT_DATE_FORMAT") for k in keys}


def _sort_key(dimension: str, key: Any, label: str) -> tuple[Any, ...]:
    if dimension in ("day", "hour", "level"):
        return (key is None, key or 0)
    return (key is None, label.casefold())


def _figure_dict(f: metrics.Figure) -> dict[str, Any]:
    return {
        "code": f.code,
        "label": f.label,
        "value": f.value,
        "unit": f.unit,
        "definition": f.definition,
        "text": charts.format_value(f.value, "count" if f.unit == "count" else f.unit),
    }


def build(
    scope: reads.Scope,
    dimension: str,
    definitions: Definitions,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """The report as JSON-able data (stored as is by a background build); `progress` is told
    how many calls have been read, now and then."""
    tallies = summaries.tallies(scope, dimension, definitions, progress)
    total = tallies.total
    labels = _labels(dimension, list(tallies.groups))
    groups: list[dict[str, Any]] = []
    for key, tally in tallies.groups.items():
        values = metrics.key_values(tally, definitions)
        groups.append(
            {
                "key": None if key is None else str(key),
                "label": labels[key],
                "_sort": _sort_key(dimension, key, labels[key]),
                **{code: values[code] for code, _kind in GROUP_FIGURES},
            }
        )
    groups.sort(key=lambda g: g.pop("_sort"))
    heat = [[tallies.heat.get((day, hour), 0) for hour in range(24)] for day in range(7)]
    return {
        "dimension": dimension,
        "calls": total.offered + total.other,
        "definitions": {
            "answer_target_seconds": definitions.answer_target_seconds,
            "short_abandon_seconds": definitions.short_abandon_seconds,
            "abandons_in_service_level": definitions.abandons_in_service_level,
            "short_abandons_in_service_level": definitions.short_abandons_in_service_level,
            "short_abandons_in_abandon_rate": definitions.short_abandons_in_abandon_rate,
        },
        "figures": [_figure_dict(f) for f in metrics.figures(total, definitions)],
        "service_level_variants": [_figure_dict(f) for f in metrics.service_level_variants(total)],
        "qa": [_figure_dict(f) for f in metrics.qa_rates(total)],
        "groups": groups,
        "heat": heat,
    }


def group_columns(report: dict[str, Any]) -> list[Column]:
    names = {f["code"]: f["label"] for f in report["figures"]}
    return [Column("label", dimension_labels()[report["dimension"]])] + [
        Column(code, names[code], kind) for code, kind in GROUP_FIGURES
    ]


def charts_for(report: dict[str, Any]) -> dict[str, SafeString]:
    """The report's three charts: counts and shares per group (a line when grouped by day),
    and offered calls per weekday × hour."""
    names = {f["code"]: f["label"] for f in report["figures"]}
    groups = report["groups"][: charts.MAX_POINTS]
    labels = [g["label"] for g in groups]
    dimension = dimension_labels()[report["dimension"]]
    counts = {names[c]: [g[c] for g in groups] for c in ("offered", "answered", "abandoned")}
    shares = {names[c]: [g[c] for g in groups] for c in ("service_level", "before_third_ring")}
    if report["dimension"] == "day":
        volume = charts.line_chart(
            title=_("Llamadas por día"), x_labels=labels, series=counts, kind="count"
        )
        quality = charts.line_chart(
            title=_("Nivel de servicio por día"), x_labels=labels, series=shares, kind="share"
        )
    else:
        volume = charts.bar_chart(
            title=_("Llamadas por %(d)s") % {"d": dimension.lower()},
            labels=labels,
            series=counts,
        )
        quality = charts.bar_chart(
            title=_("Nivel de servicio por %(d)s") % {"d": dimension.lower()},
            labels=labels,
            series=shares,
            kind="share",
        )
    heat = charts.heat_map(
        title=_("Llamadas ofrecidas por día de la semana y hora"),
        rows=[str(WEEKDAYS[d]) for d in range(7)],
        columns=[str(h) for h in range(24)],
        values=report["heat"],
    )
    return {"volume": volume, "quality": quality, "heat": heat}


def heat_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The weekday × hour grid as table rows, each cell with its shade."""
    peak = max((max(row) for row in report["heat"]), default=0)
    return [
        {
            "day": str(WEEKDAYS[d]),
            "cells": [
                {"value": v, "shade": charts.heat_shade(v, peak), "dark": peak and v > peak / 2}
                for v in row
            ],
        }
        for d, row in enumerate(report["heat"])
    ]


_SHOWN_AS = {"int": "count", "percent": "share", "decimal": "seconds"}


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    """The group table as the page shows it (Spanish number formats)."""
    return [
        [g["label"]]
        + [charts.format_value(g[code], _SHOWN_AS[kind]) for code, kind in GROUP_FIGURES]
        for g in report["groups"]
    ]
