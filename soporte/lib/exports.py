"""Tables people take away: one set of rows, three formats (CSV, XLSX, PDF).

Every report, register and list that offers "Exportar" builds its rows once and hands them
here with its columns, so the three formats say the same thing. Text that a spreadsheet would
read as a formula (`=`, `+`, `-`, `@`, tab, carriage return at the start) is neutralised with
a leading apostrophe in CSV and stored as a string in XLSX (OWASP "CSV injection"); numbers stay
numbers, dates stay dates in the desk's time zone.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import formats, timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx", "pdf")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# An export is bounded: past this many rows the caller builds it in the background.
MAX_ROWS = 100_000


class ExportTooLarge(ValueError):
    """More rows than an export answered in the request may hold."""


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # "text", "int", "decimal" (two places), "percent" (a fraction 0..1), "date", "datetime".
    kind: str = "text"


Row = dict[str, Any]


def neutralise(value: str) -> str:
    """A cell a spreadsheet will not evaluate: `=1+1` reads back as the text `=1+1`."""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def text_of(value: Any, kind: str) -> str:
    """How a cell reads in CSV and PDF (Spanish number and date formats in the UI language)."""
    if value is None:
        return ""
    if kind == "percent" and isinstance(value, int | float | Decimal):
        return formats.number_format(Decimal(str(value)) * 100, 1) + " %"
    if kind == "decimal" and isinstance(value, int | float | Decimal):
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True)
    if isinstance(value, dt.datetime):
        return formats.date_format(_local(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _csv_value(value: Any, kind: str) -> str:
    # CSV is read by programs as much as by people: plain numbers (dot decimal) and ISO dates.
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Sí") if value else _("No")
    if isinstance(value, Decimal | int | float):
        return str(value)
    if isinstance(value, dt.datetime):
        return _local(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def _bounded(rows: Iterable[Row]) -> list[Row]:
    """The rows, refused whole before any byte is sent if there are too many (a download cut
    in the middle would look complete)."""
    taken = list(itertools.islice(rows, MAX_ROWS + 1))
    if len(taken) > MAX_ROWS:
        raise ExportTooLarge(_("La exportación pasa de %(n)s filas.") % {"n": MAX_ROWS})
    return taken


def _filename(name: str, fmt: str) -> str:
    return f"{get_valid_filename(name) or 'exportacion'}.{fmt}"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    name: str, columns: Sequence[Column], rows: Iterable[Row]
) -> StreamingHttpResponse:
    """UTF-8 with a byte-order mark, so Excel opens accents right."""
    writer = csv.writer(_Echo())
    bounded = _bounded(rows)

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([neutralise(str(c.label)) for c in columns])
        for row in bounded:
            yield writer.writerow([_csv_value(row.get(c.key), c.kind) for c in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(name, "csv")}"'
    return response


XLSX_FORMATS = {
    "decimal": "#,##0.00",
    "percent": "0.0%",
    "int": "0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


def xlsx_bytes(title: str, columns: Sequence[Column], rows: Iterable[Row]) -> bytes:
    """A workbook with one sheet: bold header, typed cells, frozen header row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(neutralise(title) or "Datos")[:31].replace("/", "-"))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns):
        letter = _column_letter(index)
        sheet.column_dimensions[letter].width = max(12, min(48, len(str(column.label)) + 4))
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in _bounded(rows):
        cells = []
        for column in columns:
            value = row.get(column.key)
            if isinstance(value, dt.datetime):
                value = _local(value).replace(tzinfo=None)
            elif isinstance(value, bool):
                value = _("Sí") if value else _("No")
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                # openpyxl would store a str starting with "=" as a formula; data is text, and
                # a text cell is never evaluated, so the value reads back exactly as written.
                cell.data_type = "s"
            if column.kind in XLSX_FORMATS and not isinstance(value, str):
                cell.number_format = XLSX_FORMATS[column.kind]
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def xlsx_response(
    name: str, title: str, columns: Sequence[Column], rows: Iterable[Row]
) -> HttpResponse:
    response = HttpResponse(
        xlsx_bytes(title, columns, rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(name, "xlsx")}"'
    return response


def pdf_bytes(
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Row],
    *,
    subtitle: str = "",
    landscape_page: bool | None = None,
) -> bytes:
    """A titled table that flows across pages, header repeated, long text wrapped in its cell."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    wide = len(columns) > 5 if landscape_page is None else landscape_page
    pagesize = landscape(A4) if wide else A4
    styles = getSampleStyleSheet()
    cell_style = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    head_style = cell_style.clone("head", fontName="Helvetica-Bold")
    data: list[list[Any]] = [[Paragraph(escape(str(c.label)), head_style) for c in columns]]
    for row in _bounded(rows):
        data.append(
            [
                # A cell's text is cut where no page could hold it: one long field must never
                # make the document impossible to lay out.
                Paragraph(escape(text_of(row.get(c.key), c.kind)[:2000]), cell_style)
                for c in columns
            ]
        )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        title=title,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
    )
    width = pagesize[0] - 24 * mm
    table = LongTable(data, colWidths=[width / len(columns)] * len(columns), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story: list[Any] = [Paragraph(escape(title), styles["Title"])]
    if subtitle:
        story += [Paragraph(escape(subtitle), styles["Normal"]), Spacer(1, 4 * mm)]
    story.append(table if len(data) > 1 else Paragraph(escape(_("Sin datos.")), styles["Normal"]))
    doc.build(story)
    return buffer.getvalue()


def pdf_response(
    name: str, title: str, columns: Sequence[Column], rows: Iterable[Row], *, subtitle: str = ""
) -> HttpResponse:
    response = HttpResponse(
        pdf_bytes(title, columns, rows, subtitle=subtitle), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(name, "pdf")}"'
    return response


def export_response(
    fmt: str,
    *,
    name: str,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Row] | Callable[[], Iterable[Row]],
    subtitle: str = "",
) -> HttpResponse | StreamingHttpResponse:
    """The one entry point views use: `?formato=csv|xlsx|pdf` picks the format.

    Raises ValueError for an unknown format (the view answers 400 / 422).
    """
    if fmt not in FORMATS:
        raise ValueError(fmt)
    materialised = rows() if callable(rows) else rows
    if fmt == "csv":
        return csv_response(name, columns, materialised)
    if fmt == "xlsx":
        return xlsx_response(name, title, columns, materialised)
    return pdf_response(name, title, columns, materialised, subtitle=subtitle)
