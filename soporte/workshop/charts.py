"""Server-side SVG charts (pygal) for the repair register and the sales logbook.

A small helper until `soporte/lib/charts.py` lands on main (the reports work adds it); the two
are to be unified there. Values are formatted in the reader's language (Spanish: 1.234,50),
the SVG carries no script (pygal's tooltip script is fetched from a CDN; we load none), and
every chart is shown beside its table, so nothing depends on reading the picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pygal
from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family="system-ui, sans-serif",
    colors=("#1d6fb8", "#d9822b", "#3a9a5b", "#b83b5e", "#6b5bb8", "#7a7a7a"),
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=11,
    title_font_size=14,
)


def number(value: float | Decimal | int | None, places: int = 0) -> str:
    if value is None:
        return "—"
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | Decimal | int | None]]],
    *,
    places: int = 0,
    kind: str = "bar",
) -> SafeString:
    """A bar (or line) chart as inline SVG markup."""
    factory = pygal.Line if kind == "line" else pygal.Bar
    chart = factory(
        title=title,
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        explicit_size=False,
        width=900,
        height=360,
        legend_at_bottom=True,
        print_values=False,
        x_label_rotation=0 if len(labels) <= 12 else 45,
        value_formatter=lambda value: number(value, places),
        no_data_text="Sin datos",
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, [None if v is None else float(v) for v in values])
    return mark_safe(chart.render(is_unicode=True))  # noqa: S308 - pygal escapes labels and titles
