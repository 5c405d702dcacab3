"""Exports: the same rows in CSV, XLSX and PDF; nothing in them runs as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from soporte.lib import exports
from soporte.lib.exports import Column

COLUMNS = [
    Column("name", "Artículo"),
    Column("qty", "Cantidad", "int"),
    Column("value", "Valor", "decimal"),
    Column("at", "Último movimiento", "datetime"),
]
ROWS = [
    {
        "name": '=HYPERLINK("http://x","clic")',
        "qty": 3,
        "value": Decimal("1234.50"),
        "at": dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC),
    },
    {"name": "Memoria RAM 8 GB", "qty": -2, "value": Decimal("-10.05"), "at": None},
    {"name": "@SUM(A1:A2)", "qty": 0, "value": Decimal("0"), "at": None},
    {"name": "+52 55 1234", "qty": 1, "value": Decimal("1"), "at": None},
]


def body(response) -> bytes:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content)
    return response.content


def test_csv_neutralises_formulas_and_keeps_numbers():
    response = exports.export_response(
        "csv", name="existencias", title="Existencias", columns=COLUMNS, rows=ROWS
    )
    assert response["Content-Disposition"] == 'attachment; filename="existencias.csv"'
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    read = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert read[0] == ["Artículo", "Cantidad", "Valor", "Último movimiento"]
    assert read[1][0] == '\'=HYPERLINK("http://x","clic")'
    assert read[3][0] == "'@SUM(A1:A2)"
    assert read[4][0] == "'+52 55 1234"
    # Numbers stay numbers: a negative quantity is not mistaken for a formula.
    assert read[2][1:3] == ["-2", "-10.05"]
    assert read[1][3] == "2026-11-23T10:30:00-06:00"


def test_xlsx_reads_back_the_same_values_as_text_not_formulas():
    response = exports.export_response(
        "xlsx", name="existencias", title="Existencias", columns=COLUMNS, rows=ROWS
    )
    sheet = load_workbook(io.BytesIO(body(response))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Artículo", "Cantidad", "Valor", "Último movimiento")
    assert rows[1][0] == '=HYPERLINK("http://x","clic")'
    assert sheet["A2"].data_type == "s"
    assert rows[1][1:3] == (3, 1234.5)
    assert rows[1][3] == dt.datetime(2026, 11, 23, 10, 30)
    assert rows[2][1:3] == (-2, -10.05)
    assert sheet["C2"].number_format == "#,##0.00"


def test_pdf_lays_out_a_field_longer_than_a_page():
    rows = [{"name": "x" * 50_000, "qty": 1, "value": Decimal("1"), "at": None}] * 3
    response = exports.export_response(
        "pdf", name="existencias", title="Existencias", columns=COLUMNS, rows=rows
    )
    assert body(response).startswith(b"%PDF")


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        exports.export_response("exe", name="x", title="x", columns=COLUMNS, rows=ROWS)


def test_too_many_rows_are_refused_before_anything_is_sent(monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    with pytest.raises(exports.ExportTooLarge):
        exports.export_response("csv", name="x", title="x", columns=COLUMNS, rows=iter(ROWS))
