"""Charts for numbers people compare: server-side SVG from pygal, Spanish labels and numbers.

The interface is four functions; each returns the chart as inline SVG (safe to put in a
template with no further escaping: pygal builds it with an XML serialiser, so a label such as
`<b>` arrives as text). No JavaScript and nothing fetched from elsewhere: the chart is the
same in the page, in a saved page and in a screenshot.

    format_value(0.5, "share")                         → "50,0 %"
    line_chart(title=…, x_labels=[…], series={name: [values]}, kind="count")
    bar_chart(title=…, labels=[…], series={name: [values]}, kind="seconds")
    heat_map(title=…, rows=[…], columns=[…], values=[[…]], kind="count")

`kind` says how a value reads: "count" (an integer), "share" (a fraction 0..1 shown as a
percentage), "seconds" (one decimal and " s"), "decimal" (two places), "money" (two places and
"$"). A `None` value is a gap, shown "—". Every chart must be shown with its table beside it and
an export (`soporte.lib.exports.export_response`): the chart is for the eye, the table for the
exact figures and for screen readers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.utils import formats
from django.utils.safestring import SafeString, mark_safe

Kind = Literal["count", "share", "seconds", "decimal", "money"]
KINDS: tuple[str, ...] = ("count", "share", "seconds", "decimal", "money")

# Past this many points a chart is no longer read; the caller groups coarser (days → weeks).
MAX_POINTS = 400
MAX_SERIES = 24

# The desk's palette (base.html): readable on white, distinguishable in grey print.
COLOURS = ("#1f5f99", "#d9822b", "#2e8b57", "#b03a48", "#6a4c93", "#4d4d4d", "#c9a227")


def format_value(value: float | int | Decimal | None, kind: str) -> str:
    """A value as the table and the chart's labels read it, in the active language's format."""
    if value is None:
        return "—"
    # Django's number_format cuts decimals instead of rounding them: round first, half up.
    places = {"share": 3, "seconds": 1, "decimal": 2, "money": 2}.get(kind, 0)
    value = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if kind == "share":
        return formats.number_format(value * 100, 1, use_l10n=True) + " %"
    if kind == "seconds":
        return formats.number_format(value, 1, use_l10n=True, force_grouping=True) + " s"
    if kind == "decimal":
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    if kind == "money":
        return "$" + formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    return formats.number_format(value, 0, use_l10n=True, force_grouping=True)


def _check(kind: str, points: int, series: int) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}")
    if points > MAX_POINTS or series > MAX_SERIES:
        raise ValueError("too many points for a chart")


def _style() -> Any:
    from pygal.style import Style

    return Style(
        background="transparent",
        plot_background="transparent",
        foreground="#333",
        foreground_strong="#111",
        foreground_subtle="#888",
        colors=COLOURS,
        font_family="system-ui, sans-serif",
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=12,
        title_font_size=14,
        value_font_size=10,
    )


def _config(title: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "style": _style(),
        "js": [],  # no script fetched from a CDN; values are in the table beside the chart
        "disable_xml_declaration": True,
        "explicit_size": False,  # scales with its container (viewBox)
        "width": 800,
        "height": 360,
        "value_formatter": lambda v: format_value(v, kind),
        "print_values": False,
        "show_legend": True,
        "legend_at_bottom": True,
        "truncate_legend": 40,
        "truncate_label": 24,
        "no_data_text": str(_no_data()),
        "range": (0, 1) if kind == "share" else None,
        "include_x_axis": True,
        **extra,
    }


def _no_data() -> str:
    from django.utils.translation import gettext as _

    return _("Sin datos")


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def _render(chart: Any) -> SafeString:
    # pygal always writes an inline <script> with its tooltip configuration; without its
    # JavaScript that is dead weight, and a strict Content-Security-Policy would flag it.
    svg = _SCRIPT.sub("", chart.render(is_unicode=True))
    # pygal escapes every text node it writes (ElementTree), so the markup is safe to inline.
    return mark_safe(svg)  # noqa: S308


def _values(values: Sequence[float | int | Decimal | None]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def line_chart(
    *,
    title: str,
    x_labels: Sequence[str],
    series: Mapping[str, Sequence[float | int | Decimal | None]],
    kind: str = "count",
) -> SafeString:
    """A line over time (one line per series), e.g. calls offered per day."""
    import pygal

    _check(kind, len(x_labels), len(series))
    chart = pygal.Line(
        **_config(title, kind),
        x_labels=[str(x) for x in x_labels],
        x_label_rotation=-30 if len(x_labels) > 12 else 0,
        show_minor_x_labels=len(x_labels) <= 31,
        x_labels_major_every=max(1, len(x_labels) // 12),
        allow_interruptions=True,
        dots_size=2,
    )
    for name, values in series.items():
        chart.add(str(name), _values(values))
    return _render(chart)


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | int | Decimal | None]],
    kind: str = "count",
    horizontal: bool = False,
) -> SafeString:
    """Bars per group (agent, level, line…), one bar colour per series."""
    import pygal

    _check(kind, len(labels), len(series))
    cls = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = cls(
        **_config(title, kind),
        x_labels=[str(x) for x in labels],
        x_label_rotation=-30 if len(labels) > 8 and not horizontal else 0,
    )
    for name, values in series.items():
        chart.add(str(name), _values(values))
    return _render(chart)


def heat_map(
    *,
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | int | Decimal | None]],
    kind: str = "count",
) -> SafeString:
    """A grid such as weekday × hour of day: one row of dots per row label, the dot's size
    and tone growing with the value (pygal's punch card)."""
    import pygal

    _check(kind, len(columns), len(rows))
    if len(values) != len(rows) or any(len(r) != len(columns) for r in values):
        raise ValueError("values must have one row per row label and one value per column")
    chart = pygal.Dot(
        **_config(title, kind, show_legend=False, range=None),
        x_labels=[str(c) for c in columns],
        x_label_rotation=0,
    )
    for label, row in zip(rows, values, strict=True):
        chart.add(str(label), _values(row))
    return _render(chart)


def heat_shade(value: float | int | None, peak: float | int | None) -> str:
    """A CSS background for a heat-map table cell: the darker, the closer to the peak."""
    if value is None or not peak:
        return "transparent"
    alpha = max(0.0, min(1.0, float(value) / float(peak)))
    return f"rgba(31, 95, 153, {alpha * 0.85:.2f})"
