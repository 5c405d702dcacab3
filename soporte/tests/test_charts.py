"""soporte/lib/charts.py: SVG a page can inline, Spanish numbers, no script, labels escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from soporte.lib import charts

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 (our own output, in a test)
    return [
        "".join(node.itertext())
        for node in root.iter()
        if node.tag in (f"{SVG}text", f"{SVG}title", f"{SVG}desc")
    ]


@pytest.mark.parametrize(
    ("value", "kind", "spanish", "english"),
    [
        (0.5, "share", "50,0 %", "50.0 %"),
        (16.857, "seconds", "16,9 s", "16.9 s"),
        (1234567, "count", "1.234.567", "1,234,567"),
        (1234.5, "money", "$1.234,50", "$1,234.50"),
        (None, "share", "—", "—"),
    ],
)
def test_values_read_in_the_desks_language(value, kind, spanish, english):
    with translation.override("es"):
        assert charts.format_value(value, kind).replace("\xa0", ".") == spanish
    with translation.override("en"):
        assert charts.format_value(value, kind) == english


def test_line_chart_is_inline_svg_with_spanish_values_and_no_script():
    with translation.override("es"):
        svg = charts.line_chart(
            title="Nivel de servicio por día",
            x_labels=["lun 1", "mar 2", "mié 3"],
            series={"Nivel de servicio": [0.8, None, 0.655]},
            kind="share",
        )
    assert svg.startswith("<svg")
    assert "<script" not in svg and "http://kozea" not in svg
    found = texts(svg)
    assert "Nivel de servicio por día" in found
    assert "65,5 %" in found  # the value's tooltip text, in Spanish format
    assert "mié 3" in found


def test_bar_chart_escapes_labels_it_is_given():
    svg = charts.bar_chart(
        title="Por agente",
        labels=["<b>Blanca</b>", "Héctor & Co"],
        series={"Atendidas": [12, 7]},
        kind="count",
    )
    assert "<b>Blanca</b>" not in svg
    assert "&lt;b&gt;Blanca&lt;/b&gt;" in svg
    assert "<b>Blanca</b>" in texts(svg)


def test_heat_map_has_one_row_per_weekday_and_refuses_a_ragged_grid():
    svg = charts.heat_map(
        title="Llamadas por hora y día",
        rows=["lunes", "martes"],
        columns=["9", "10", "11"],
        values=[[3, 0, 5], [None, 2, 1]],
    )
    found = texts(svg)
    assert "lunes" in found and "martes" in found
    with pytest.raises(ValueError):
        charts.heat_map(title="x", rows=["a"], columns=["1", "2"], values=[[1]])


def test_too_many_points_or_an_unknown_kind_are_refused():
    with pytest.raises(ValueError):
        charts.line_chart(title="x", x_labels=[str(i) for i in range(500)], series={"a": [1] * 500})
    with pytest.raises(ValueError):
        charts.bar_chart(title="x", labels=["a"], series={"a": [1]}, kind="furlongs")


def test_heat_shade_darkens_towards_the_peak():
    assert charts.heat_shade(None, 10) == "transparent"
    assert charts.heat_shade(0, 10) == "rgba(31, 95, 153, 0.00)"
    assert charts.heat_shade(10, 10) == "rgba(31, 95, 153, 0.85)"
