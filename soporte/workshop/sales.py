"""Use cases of the shop's sales: a sale (parts from stock, services), a refund (a new document
that names the sale, never an edit) and an expense. Keyword-only, the actor and `now` passed
in, one transaction each.

A stock line posts its SALE movement in the same transaction as the document, so the cost is
the ledger's at the moment of sale (average or FIFO, the item's method) and the two commit or
roll back together. IVA: the shop's rate (16 % by default) on the sum of the lines after their
discounts, rounded half up to the cent once per document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.directory.models import Organisation, User
from soporte.inventory import services as stock
from soporte.inventory.models import Location, MovementKind, StockItem
from soporte.lib.errors import DomainError, Forbidden
from soporte.tickets.models import Ticket
from soporte.workshop.models import (
    Expense,
    ExpenseCategory,
    PaymentMethod,
    Repair,
    Sale,
    SaleKind,
    SaleLine,
    SalesDay,
    WorkshopSettings,
)
from soporte.workshop.money import parse_money

CENT = Decimal("0.01")
MAX_LINES = 100
ZERO = Decimal("0")


class SaleError(DomainError):
    code = "sale_rule"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def vat_of(amount: Decimal, basis_points: int) -> Decimal:
    """IVA of an amount, half up to the cent: 99.99 at 16 % is 16.00 (15.9984)."""
    return cents(amount * Decimal(basis_points) / Decimal(10000))


def _require_staff(actor: User) -> None:
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal del taller registra ventas y gastos."))


@dataclass
class Line:
    """A line typed at the counter: a stock item at a location, or a service (no item)."""

    description: str
    quantity: object
    unit_price: object
    discount: object = "0"
    item: StockItem | None = None
    location: Location | None = None
    # A service line's cost, when the caller knows it (a repair's consumed parts).
    cost: Decimal = ZERO
    # The pieces sold of an item with serial numbers, one per unit (picked at the counter).
    serials: Sequence[str] = ()


def _add_to_day(sale: Sale) -> None:
    """Keep the day's sums in the same transaction (a relative UPDATE: concurrent sales of one
    day add up instead of overwriting each other)."""
    day = timezone.localtime(sale.sold_at).date()
    SalesDay.objects.bulk_create([SalesDay(day_date=day)], ignore_conflicts=True)
    # The columns hold integer cents: add the scaled integers.
    SalesDay.objects.filter(day_date=day).update(
        revenue=F("revenue") + int(sale.subtotal * 100),
        cost=F("cost") + int(sale.cost * 100),
        tax=F("tax") + int(sale.tax * 100),
        documents=F("documents") + 1,
    )


@transaction.atomic
def sell(
    *,
    actor: User,
    lines: Sequence[Line],
    payment_method: str,
    now: dt.datetime,
    organisation: Organisation | None = None,
    customer_name: str = "",
    repair: Repair | None = None,
    ticket: Ticket | None = None,
    notes: str = "",
    rules: WorkshopSettings | None = None,
) -> Sale:
    """A sale over the counter, from a repair or from a ticket."""
    _require_staff(actor)
    if not lines:
        raise SaleError(_("La venta no tiene renglones."), code="no_lines")
    if len(lines) > MAX_LINES:
        raise SaleError(
            _("Una venta admite hasta %(n)d renglones.") % {"n": MAX_LINES}, code="too_many"
        )
    if payment_method not in PaymentMethod.values or payment_method == PaymentMethod.NONE:
        raise SaleError(_("Forma de pago no válida."), code="invalid_payment_method")
    rules = rules or WorkshopSettings.current()
    sale = Sale.objects.create(
        kind=SaleKind.SALE,
        organisation=organisation,
        customer_name=customer_name.strip()[:200],
        repair=repair,
        ticket=ticket,
        sold_by=actor,
        sold_at=now,
        payment_method=payment_method,
        vat_basis_points=rules.vat_basis_points,
        subtotal=ZERO,
        tax=ZERO,
        total=ZERO,
        cost=ZERO,
        notes=notes.strip()[:500],
    )
    subtotal = cost = discount_total = ZERO
    reference = sale.folio
    for line in lines:
        description = (line.description or (line.item.name if line.item else "")).strip()[:200]
        if not description:
            raise SaleError(_("Cada renglón necesita un concepto."), code="description_required")
        quantity = stock.parse_quantity(line.quantity, item=line.item)
        unit_price = parse_money(line.unit_price, field="unit_price")
        discount = parse_money(line.discount or "0", field="discount")
        gross = cents(quantity * unit_price)
        if discount > gross:
            raise SaleError(
                _("El descuento pasa del importe del renglón."), code="discount_too_large"
            )
        movement = None
        line_cost = cents(line.cost)
        if line.item is not None:
            if line.location is None:
                raise SaleError(
                    _("Indique de qué ubicación sale el artículo."), code="location_required"
                )
            movement = stock.issue_stock(
                actor=actor,
                item=line.item,
                location=line.location,
                quantity=quantity,
                kind=MovementKind.SALE,
                organisation=organisation,
                reference=reference,
                serials=line.serials,
                ticket=ticket,
                now=now,
            )
            line_cost = -movement.value
        SaleLine.objects.create(
            sale=sale,
            item=line.item,
            location=line.location,
            description=description,
            quantity=quantity,
            unit_price=unit_price,
            discount=discount,
            amount=gross - discount,
            cost=line_cost,
            movement=movement,
        )
        subtotal += gross - discount
        discount_total += discount
        cost += line_cost
    sale.subtotal = subtotal
    sale.discount = discount_total
    sale.tax = vat_of(subtotal, sale.vat_basis_points)
    sale.total = subtotal + sale.tax
    sale.cost = cost
    sale.save(update_fields=["subtotal", "discount", "tax", "total", "cost"])
    _add_to_day(sale)
    return sale


def refunded_quantity(line: SaleLine) -> Decimal:
    return -(line.refund_lines.aggregate(q=Sum("quantity"))["q"] or ZERO)


@transaction.atomic
def refund(
    *,
    actor: User,
    sale: Sale,
    quantities: dict[int, object],
    now: dt.datetime,
    reason: str,
    payment_method: str | None = None,
) -> Sale:
    """A refund: a new document with negative amounts that names the sale and its lines. Stock
    comes back into its location at the cost it left with; IVA is returned in proportion."""
    _require_staff(actor)
    sale = Sale.objects.select_for_update().get(pk=sale.pk)
    if sale.kind != SaleKind.SALE:
        raise SaleError(_("Solo se devuelve una venta."), code="not_a_sale")
    reason = reason.strip()[:500]
    if not reason:
        raise SaleError(_("Indique el motivo de la devolución."), code="reason_required")
    lines = {line.pk: line for line in sale.lines.select_related("item", "location")}
    chosen = [
        (lines[pk], quantity)
        for pk, quantity in quantities.items()
        if pk in lines and str(quantity).strip() not in ("", "0")
    ]
    if not chosen:
        raise SaleError(_("Elija qué se devuelve."), code="no_lines")
    document = Sale.objects.create(
        kind=SaleKind.REFUND,
        refunds=sale,
        organisation=sale.organisation,
        customer_name=sale.customer_name,
        repair=sale.repair,
        ticket=sale.ticket,
        sold_by=actor,
        sold_at=now,
        payment_method=payment_method or sale.payment_method,
        vat_basis_points=sale.vat_basis_points,
        subtotal=ZERO,
        tax=ZERO,
        total=ZERO,
        cost=ZERO,
        notes=reason,
    )
    subtotal = cost = ZERO
    for line, raw in chosen:
        quantity = stock.parse_quantity(raw, item=line.item)
        if quantity > line.quantity - refunded_quantity(line):
            raise SaleError(
                _("%(item)s: se devuelve más de lo vendido.") % {"item": line.description},
                code="refund_exceeds_sale",
            )
        share = quantity / line.quantity
        amount = cents(line.amount * share)
        line_cost = cents(line.cost * share)
        movement = None
        if line.item is not None and line.location is not None:
            movement = stock.return_from_customer(
                actor=actor,
                item=line.item,
                location=line.location,
                quantity=quantity,
                unit_cost=(line.cost / line.quantity).quantize(
                    Decimal("0.0001"), rounding=ROUND_HALF_UP
                ),
                organisation=sale.organisation,
                reference=document.folio,
                reason=reason,
                now=now,
            )
        SaleLine.objects.create(
            sale=document,
            item=line.item,
            location=line.location,
            description=line.description,
            quantity=-quantity,
            unit_price=line.unit_price,
            amount=-amount,
            cost=-line_cost,
            movement=movement,
            refunds_line=line,
        )
        subtotal -= amount
        cost -= line_cost
    document.subtotal = subtotal
    document.tax = -vat_of(-subtotal, document.vat_basis_points)
    document.total = subtotal + document.tax
    document.cost = cost
    document.save(update_fields=["subtotal", "tax", "total", "cost"])
    _add_to_day(document)
    return document


@transaction.atomic
def record_expense(
    *,
    actor: User,
    category: str,
    description: str,
    amount: object,
    incurred_date: dt.date,
    now: dt.datetime,
) -> Expense:
    """An expense of the shop. A correction is a negative expense that says so."""
    _require_staff(actor)
    if category not in ExpenseCategory.values:
        raise SaleError(_("Categoría de gasto no válida."), code="invalid_category")
    description = description.strip()[:300]
    if not description:
        raise SaleError(_("Describa el gasto."), code="description_required")
    text = str(amount).strip()
    negative = text.startswith("-")
    value = parse_money(text.lstrip("-"), field="amount")
    if value == 0:
        raise SaleError(_("El gasto no puede ser cero."), code="invalid_amount")
    if abs((incurred_date - timezone.localtime(now).date()).days) > 366:
        raise SaleError(_("La fecha del gasto está a más de un año."), code="invalid_date")
    return Expense.objects.create(
        category=category,
        description=description,
        amount=-value if negative else value,
        incurred_date=incurred_date,
        recorded_by=actor,
        recorded_at=now,
    )
