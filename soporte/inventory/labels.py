"""Printable labels (PDF): a device's (its page) and a stock bin's (its item at a location).

One label per page at 70 × 35 mm, the size of a roll on a desk label printer; a sheet of
several devices is several pages. The QR code comes from segno (ISO/IEC 18004) and is drawn
as vector modules, so it stays sharp at any printer resolution; the address is printed under
the text as well, for a phone that will not scan.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from soporte.inventory.models import Device, Location, StockItem

LABEL_SIZE = (70 * mm, 35 * mm)
QR_SIZE = 31 * mm


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def device_url(device: Device) -> str:
    return absolute(reverse("inventory:device_detail", args=[device.pk]))


def bin_url(item: StockItem, location: Location) -> str:
    return absolute(reverse("inventory:item_detail", args=[item.pk]) + f"?ubicacion={location.pk}")


def draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Draw `text` as a QR code (medium error correction, 4-module quiet zone) whose lower
    left corner is (x, y); dark runs of a row are one rectangle each."""
    code = segno.make(text, error="m", micro=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(rows):
        top = y + size - (r + 1) * module
        start = None
        for c, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = c
            elif not dark and start is not None:
                canvas.rect(x + start * module, top, (c - start) * module, module, stroke=0, fill=1)
                start = None


def _text(canvas: Canvas, lines: list[tuple[str, str, float]], x: float, top: float) -> None:
    y = top
    width = LABEL_SIZE[0] - x - 2 * mm
    for text, font, size in lines:
        y -= size + 1.5
        while text and canvas.stringWidth(text, font, size) > width:
            text = text[:-1]
        canvas.setFont(font, size)
        canvas.drawString(x, y, text)


def _label(canvas: Canvas, url: str, lines: list[tuple[str, str, float]]) -> None:
    draw_qr(canvas, url, 1.5 * mm, (LABEL_SIZE[1] - QR_SIZE) / 2, QR_SIZE)
    _text(canvas, lines, QR_SIZE + 3 * mm, LABEL_SIZE[1] - 2.5 * mm)
    canvas.setFont("Helvetica", 4.5)
    canvas.drawString(QR_SIZE + 3 * mm, 2.5 * mm, url[:70])
    canvas.showPage()


def _canvas(handle: io.BytesIO, title: str) -> Canvas:
    # Uncompressed page streams: the printed address stays searchable in the file.
    canvas = Canvas(handle, pagesize=LABEL_SIZE, pageCompression=0, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("Soporte")
    return canvas


def devices_pdf(devices: Iterable[Device]) -> bytes:
    handle = io.BytesIO()
    canvas = _canvas(handle, _("Etiquetas de equipos"))
    for device in devices:
        lines = [
            (device.inventory_tag, "Helvetica-Bold", 13),
            (f"{device.brand} {device.model}".strip(), "Helvetica", 7.5),
        ]
        if device.serial_number:
            lines.append(
                (_("Serie: %(serial)s") % {"serial": device.serial_number}, "Helvetica", 7)
            )
        lines.append((device.organisation.name, "Helvetica", 7))
        lines.append((settings.DESK_NAME, "Helvetica-Oblique", 6))
        _label(canvas, device_url(device), lines)
    canvas.save()
    return handle.getvalue()


def bins_pdf(bins: Iterable[tuple[StockItem, Location]]) -> bytes:
    handle = io.BytesIO()
    canvas = _canvas(handle, _("Etiquetas de ubicaciones"))
    for item, location in bins:
        lines = [
            (item.sku, "Helvetica-Bold", 12),
            (item.name, "Helvetica", 7.5),
            (str(location), "Helvetica", 7),
        ]
        if item.barcode:
            lines.append((_("Código: %(code)s") % {"code": item.barcode}, "Helvetica", 7))
        _label(canvas, bin_url(item, location), lines)
    canvas.save()
    return handle.getvalue()
