"""Printed receipts (PDF): a repair's intake and delivery receipt, and a sale's receipt.

Letter size, the shop's data at the top. The repair receipt carries its folio and a QR code
(segno, drawn as vector modules by `inventory.labels.draw_qr`) that opens the repair in the
portal; the address is printed under it for a phone that will not scan.
"""

from __future__ import annotations

import io
import textwrap
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from soporte.inventory.labels import draw_qr
from soporte.workshop.models import AUXILIARY_WARNING, Repair, Sale, SaleKind, WorkshopSettings
from soporte.workshop.portal import is_signed, portal_url

WIDTH, HEIGHT = letter
MARGIN = 18 * mm
QR_SIZE = 32 * mm


class _Page:
    """A top-down text cursor over one canvas, starting a new page when one fills."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.y = HEIGHT - MARGIN

    def line(
        self, text: str, *, font: str = "Helvetica", size: float = 9.5, width: int = 100
    ) -> None:
        for part in textwrap.wrap(text, width) or [""]:
            if self.y < MARGIN + 12:
                self.canvas.showPage()
                self.y = HEIGHT - MARGIN
            self.y -= size + 3
            self.canvas.setFont(font, size)
            self.canvas.drawString(MARGIN, self.y, part)

    def pair(self, label: str, value: str) -> None:
        self.line(f"{label}: {value}")

    def gap(self, height: float = 6) -> None:
        self.y -= height


def _canvas(handle: io.BytesIO, title: str) -> Canvas:
    # Uncompressed page streams: the folio and the address stay searchable in the file.
    canvas = Canvas(handle, pagesize=letter, pageCompression=0, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("Soporte")
    return canvas


def _shop_header(page: _Page, shop: WorkshopSettings) -> None:
    page.line(shop.shop_name, font="Helvetica-Bold", size=14)
    details = " · ".join(
        part
        for part in (
            shop.shop_address,
            _("RFC %(rfc)s") % {"rfc": shop.shop_tax_id} if shop.shop_tax_id else "",
            shop.shop_phone,
        )
        if part
    )
    if details:
        page.line(details, size=8.5)
    page.gap()


def _when(moment: object) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")  # type: ignore[arg-type]


def repair_pdf(repair: Repair) -> bytes:
    """The intake receipt (and, once delivered, the delivery's data on the same sheet)."""
    shop = WorkshopSettings.current()
    handle = io.BytesIO()
    canvas = _canvas(handle, _("Recibo de reparación %(folio)s") % {"folio": repair.folio})
    url = portal_url(repair)
    draw_qr(canvas, url, WIDTH - MARGIN - QR_SIZE, HEIGHT - MARGIN - QR_SIZE, QR_SIZE)
    canvas.setFont("Helvetica", 6.5)
    canvas.drawRightString(WIDTH - MARGIN, HEIGHT - MARGIN - QR_SIZE - 8, url[:90])
    page = _Page(canvas)
    _shop_header(page, shop)
    page.line(_("Recibo de reparación"), font="Helvetica-Bold", size=12)
    page.line(_("Folio %(folio)s") % {"folio": repair.folio}, font="Helvetica-Bold", size=16)
    page.gap(14)
    device = repair.device
    page.pair(_("Cliente"), repair.organisation.name)
    page.pair(_("Entrega el equipo"), repair.brought_by.full_name)
    page.pair(_("Recibido"), f"{_when(repair.received_at)} · {repair.received_by}")
    page.pair(_("Equipo"), device.device_data())
    page.pair(_("Falla reportada"), repair.fault)
    page.pair(_("Estado físico"), repair.condition)
    page.pair(_("Accesorios que deja"), repair.accessories or _("Ninguno"))
    page.pair(_("Conservar los datos"), _("Sí") if repair.preserve_data else _("No"))
    page.pair(
        _("Presupuesto estimado"),
        f"${repair.estimate}" if repair.estimate is not None else _("Sin estimado"),
    )
    if repair.warranty_of_id:
        page.pair(_("Garantía de"), repair.warranty_of.folio)  # type: ignore[union-attr]
    if repair.auxiliary:
        page.gap()
        page.line(
            _("Aviso de reparación auxiliar (aceptado por el cliente)"), font="Helvetica-Bold"
        )
        page.line(str(AUXILIARY_WARNING), size=8.5, width=115)
    if repair.delivered_at is not None:
        page.gap(10)
        page.line(_("Entrega"), font="Helvetica-Bold", size=12)
        page.pair(_("Entregado"), f"{_when(repair.delivered_at)} · {repair.delivered_by}")
        page.pair(_("Se entrega"), repair.handed_back)
        page.pair(
            _("Importe cobrado"),
            f"${repair.amount_charged} ({repair.get_payment_method_display()})",
        )
        page.pair(
            _("Garantía"),
            _("%(days)d días: %(covers)s")
            % {"days": repair.warranty_days, "covers": repair.warranty_covers}
            if repair.warranty_days
            else _("Sin garantía"),
        )
    page.gap(10)
    signed = is_signed(repair.intake_entry)
    page.line(
        _("Firmado por el cliente en la bitácora (nota %(n)d).") % {"n": repair.intake_entry.number}
        if signed and repair.intake_entry is not None
        else _("Pendiente de la firma del cliente en la bitácora."),
        size=8.5,
    )
    page.line(_("Siga su reparación en el portal: %(url)s") % {"url": url}, size=8.5, width=120)
    canvas.showPage()
    canvas.save()
    return handle.getvalue()


def sale_pdf(sale: Sale) -> bytes:
    """A sale's (or a refund's) receipt with the shop's data, its lines, IVA and total."""
    shop = WorkshopSettings.current()
    handle = io.BytesIO()
    canvas = _canvas(handle, _("Recibo %(folio)s") % {"folio": sale.folio})
    page = _Page(canvas)
    _shop_header(page, shop)
    title = _("Devolución") if sale.kind == SaleKind.REFUND else _("Recibo de venta")
    page.line(f"{title} {sale.folio}", font="Helvetica-Bold", size=14)
    page.pair(_("Fecha"), _when(sale.sold_at))
    customer = sale.organisation.name if sale.organisation_id else sale.customer_name  # type: ignore[union-attr]
    page.pair(_("Cliente"), customer or _("Público en general"))
    if sale.refunds_id:
        page.pair(_("Devuelve"), sale.refunds.folio)  # type: ignore[union-attr]
    if sale.repair_id:
        page.pair(_("Reparación"), sale.repair.folio)  # type: ignore[union-attr]
    page.pair(_("Forma de pago"), sale.get_payment_method_display())
    page.gap()
    for line in sale.lines.order_by("id"):
        quantity = f"{line.quantity.normalize():f}"
        discount = f" − ${line.discount}" if line.discount else ""
        page.line(
            f"{line.description} · {quantity} × ${line.unit_price}{discount} = ${line.amount}"
        )
    page.gap()
    rate = f"{Decimal(sale.vat_basis_points) / 100:g} %"
    page.pair(_("Subtotal"), f"${sale.subtotal}")
    page.pair(_("IVA %(rate)s") % {"rate": rate}, f"${sale.tax}")
    page.line(f"{_('Total')}: ${sale.total}", font="Helvetica-Bold", size=12)
    if sale.notes:
        page.pair(_("Notas"), sale.notes)
    canvas.showPage()
    canvas.save()
    return handle.getvalue()
