"""API of the repair shop: repairs and their quotes, sales, the repair register and the sales
logbook, with the same rules and access as the pages.

Repairs and sales through `visible_to` (a customer reads their organisation's; another's is a
404); a customer's decision-maker decides a quote; everything else is the desk's (403 to a
customer). Money is a decimal string ("12.50"), never a float.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from soporte.directory.api import ErrorOut
from soporte.directory.models import Organisation, Person, User
from soporte.inventory.models import Device, Location, StockItem
from soporte.lib import clock
from soporte.lib.errors import Forbidden
from soporte.workshop import periods, register, sales, salesbook, services
from soporte.workshop.models import PaymentMethod, Quote, Repair, Sale

router = Router(tags=["taller"])

MAX_PAGE = 200
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _me(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _me(request)
    if not user.is_desk_staff:
        raise Forbidden(_("Solo el personal del taller hace esto."))
    return user


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


def _repair(request: HttpRequest, repair_id: int) -> Repair:
    return get_object_or_404(Repair.objects.visible_to(request.user), pk=repair_id)


# --- repairs ------------------------------------------------------------------------------


class QuoteLineOut(Schema):
    item_id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class QuoteOut(Schema):
    id: int
    status: str
    labour: Decimal
    total: Decimal
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by_name: str
    channel: str
    lines: list[QuoteLineOut]

    @staticmethod
    def of(quote: Quote) -> QuoteOut:
        lines = [
            QuoteLineOut(
                item_id=line.item_id,
                description=line.item.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.amount,
            )
            for line in quote.lines.select_related("item").order_by("id")
        ]
        return QuoteOut(
            id=quote.pk,
            status=quote.status,
            labour=quote.labour,
            total=quote.total(),
            created_at=quote.created_at,
            decided_at=quote.decided_at,
            decided_by_name=quote.decided_by_name,
            channel=quote.channel,
            lines=lines,
        )


class RepairOut(Schema):
    id: int
    folio: str
    status: str
    organisation_id: int
    device_id: int
    brought_by_id: int
    received_at: dt.datetime
    fault: str
    condition: str
    accessories: str
    preserve_data: bool
    estimate: Decimal | None
    auxiliary: bool
    technician_id: int | None
    diagnosis: str
    repaired_by_id: int | None
    repaired_at: dt.datetime | None
    delivered_at: dt.datetime | None
    amount_charged: Decimal
    warranty_days: int
    warranty_of_id: int | None
    intake_signed: bool
    portal_url: str
    quotes: list[QuoteOut] = []

    @staticmethod
    def of(repair: Repair, *, quotes: bool = False) -> RepairOut:
        out = RepairOut.model_validate(
            {
                **{
                    f: getattr(repair, f)
                    for f in RepairOut.model_fields
                    if hasattr(repair, f) and f != "quotes"
                },
                "intake_signed": services.is_signed(repair.intake_entry),
                "portal_url": services.portal_url(repair),
            }
        )
        if quotes:
            out.quotes = [QuoteOut.of(q) for q in repair.quotes.order_by("created_at", "id")]
        return out


class IntakeIn(Schema):
    device_id: int
    brought_by_id: int
    fault: str = Field(..., min_length=1, max_length=2000)
    condition: str = Field(..., min_length=1, max_length=2000)
    accessories: str = Field("", max_length=500)
    preserve_data: bool = True
    estimate: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    auxiliary: bool = False
    auxiliary_acknowledged: bool = False
    decision_maker_id: int | None = None
    technician_id: int | None = None


class PartIn(Schema):
    item_id: int
    location_id: int
    quantity: Decimal = Field(..., gt=0, max_digits=12, decimal_places=3)
    unit_price: Decimal = Field(..., ge=0, max_digits=10, decimal_places=2)


class QuoteIn(Schema):
    diagnosis: str = Field(..., min_length=1, max_length=4000)
    labour: Decimal = Field(..., ge=0, max_digits=10, decimal_places=2)
    parts: list[PartIn] = Field([], max_length=services.MAX_QUOTE_LINES)
    notes: str = Field("", max_length=1000)


class DecisionIn(Schema):
    approve: bool
    decided_by_id: int | None = Field(None, description="En el mostrador: quién del cliente decide")
    reason: str = Field("", max_length=500)


class RepairedIn(Schema):
    work_done: str = Field(..., min_length=1, max_length=4000)
    labour_minutes: int = Field(..., ge=0, le=100_000)


class DeliveryIn(Schema):
    handed_back: str = Field(..., min_length=1, max_length=500)
    payment_method: str = Field(..., description=", ".join(PaymentMethod.values))
    amount: Decimal = Field(..., ge=0, max_digits=10, decimal_places=2, description="Sin IVA")
    warranty_days: int | None = Field(None, ge=0, le=3650)
    warranty_covers: str | None = Field(None, max_length=300)


@router.get("repairs", response=list[RepairOut], summary="Reparaciones visibles (por páginas)")
def list_repairs(
    request: HttpRequest, status: str = "", after_id: int = 0, limit: int = 50
) -> list[RepairOut]:
    queryset = (
        Repair.objects.visible_to(request.user)
        .filter(pk__gt=after_id)
        .select_related("intake_entry")
    )
    if status:
        queryset = queryset.filter(status=status)
    return [RepairOut.of(r) for r in queryset.order_by("id")[: _limit(limit)]]


@router.get(
    "repairs/{repair_id}",
    response={200: RepairOut, 404: ErrorOut},
    summary="Una reparación y sus presupuestos",
)
def get_repair(request: HttpRequest, repair_id: int) -> RepairOut:
    return RepairOut.of(_repair(request, repair_id), quotes=True)


@router.post(
    "repairs", response={201: RepairOut, **ERRORS}, summary="Recibir un equipo a reparación"
)
def receive_repair(request: HttpRequest, payload: IntakeIn) -> Status[RepairOut]:
    user = _staff(request)
    device = get_object_or_404(Device, pk=payload.device_id)
    people = Person.objects.filter(organisation_id=device.organisation_id)
    repair = services.receive_repair(
        actor=user,
        intake=services.Intake(
            device=device,
            brought_by=get_object_or_404(people, pk=payload.brought_by_id),
            fault=payload.fault,
            condition=payload.condition,
            accessories=payload.accessories,
            preserve_data=payload.preserve_data,
            estimate=payload.estimate,
            auxiliary=payload.auxiliary,
            auxiliary_acknowledged=payload.auxiliary_acknowledged,
            decision_maker=(
                get_object_or_404(people, pk=payload.decision_maker_id)
                if payload.decision_maker_id
                else None
            ),
            technician=(
                get_object_or_404(User, pk=payload.technician_id) if payload.technician_id else None
            ),
        ),
        now=clock.now(),
    )
    return Status(201, RepairOut.of(repair))


@router.post(
    "repairs/{repair_id}/diagnosis",
    response={200: RepairOut, **ERRORS},
    summary="Empezar el diagnóstico",
)
def start_diagnosis(request: HttpRequest, repair_id: int) -> RepairOut:
    user = _staff(request)
    repair = services.start_diagnosis(
        actor=user, repair=_repair(request, repair_id), now=clock.now()
    )
    return RepairOut.of(repair)


@router.post(
    "repairs/{repair_id}/quotes",
    response={201: QuoteOut, **ERRORS},
    summary="Diagnóstico y presupuesto",
)
def quote_repair(request: HttpRequest, repair_id: int, payload: QuoteIn) -> Status[QuoteOut]:
    user = _staff(request)
    parts = [
        services.PartLine(
            item=get_object_or_404(StockItem, pk=p.item_id),
            location=get_object_or_404(Location, pk=p.location_id),
            quantity=p.quantity,
            unit_price=p.unit_price,
        )
        for p in payload.parts
    ]
    quote = services.quote_repair(
        actor=user,
        repair=_repair(request, repair_id),
        diagnosis=payload.diagnosis,
        labour=payload.labour,
        parts=parts,
        notes=payload.notes,
        now=clock.now(),
    )
    return Status(201, QuoteOut.of(quote))


@router.post(
    "repairs/{repair_id}/quotes/{quote_id}/decision",
    response={200: QuoteOut, **ERRORS},
    summary="Aprobar o rechazar un presupuesto (el decisor, o el mostrador)",
)
def decide_quote(
    request: HttpRequest, repair_id: int, quote_id: int, payload: DecisionIn
) -> QuoteOut:
    repair = _repair(request, repair_id)
    quote = get_object_or_404(Quote, repair=repair, pk=quote_id)
    decided_by = (
        get_object_or_404(Person, organisation_id=repair.organisation_id, pk=payload.decided_by_id)
        if payload.decided_by_id
        else None
    )
    quote = services.decide_quote(
        actor=_me(request),
        quote=quote,
        approve=payload.approve,
        decided_by=decided_by,
        reason=payload.reason,
        now=clock.now(),
    )
    return QuoteOut.of(quote)


@router.post(
    "repairs/{repair_id}/repaired", response={200: RepairOut, **ERRORS}, summary="Marcar reparado"
)
def mark_repaired(request: HttpRequest, repair_id: int, payload: RepairedIn) -> RepairOut:
    user = _staff(request)
    repair = services.mark_repaired(
        actor=user,
        repair=_repair(request, repair_id),
        work_done=payload.work_done,
        labour_minutes=payload.labour_minutes,
        now=clock.now(),
    )
    return RepairOut.of(repair)


@router.post(
    "repairs/{repair_id}/delivery", response={200: RepairOut, **ERRORS}, summary="Entregar"
)
def deliver_repair(request: HttpRequest, repair_id: int, payload: DeliveryIn) -> RepairOut:
    user = _staff(request)
    repair = services.deliver_repair(
        actor=user,
        repair=_repair(request, repair_id),
        handed_back=payload.handed_back,
        payment_method=payload.payment_method,
        amount=payload.amount,
        warranty_days=payload.warranty_days,
        warranty_covers=payload.warranty_covers,
        now=clock.now(),
    )
    return RepairOut.of(repair)


# --- sales --------------------------------------------------------------------------------


class SaleLineOut(Schema):
    id: int
    description: str
    item_id: int | None
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    amount: Decimal


class SaleOut(Schema):
    id: int
    folio: str
    kind: str
    refunds_id: int | None
    organisation_id: int | None
    repair_id: int | None
    sold_at: dt.datetime
    payment_method: str
    vat_basis_points: int
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    cost: Decimal | None = Field(None, description="Solo para el personal del taller")
    lines: list[SaleLineOut] = []

    @staticmethod
    def of(sale: Sale, *, staff: bool) -> SaleOut:
        out = SaleOut(
            id=sale.pk,
            folio=sale.folio,
            kind=sale.kind,
            refunds_id=sale.refunds_id,
            organisation_id=sale.organisation_id,
            repair_id=sale.repair_id,
            sold_at=sale.sold_at,
            payment_method=sale.payment_method,
            vat_basis_points=sale.vat_basis_points,
            subtotal=sale.subtotal,
            discount=sale.discount,
            tax=sale.tax,
            total=sale.total,
            cost=sale.cost if staff else None,
        )
        out.lines = [
            SaleLineOut.model_validate(line, from_attributes=True)
            for line in sale.lines.order_by("id")
        ]
        return out


class SaleLineIn(Schema):
    description: str = Field("", max_length=200)
    item_id: int | None = None
    location_id: int | None = None
    quantity: Decimal = Field(..., gt=0, max_digits=12, decimal_places=3)
    unit_price: Decimal = Field(..., ge=0, max_digits=10, decimal_places=2, description="Sin IVA")
    discount: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2)


class SaleIn(Schema):
    organisation_id: int | None = None
    customer_name: str = Field("", max_length=200)
    payment_method: str = Field(..., description="cash, card, transfer")
    lines: list[SaleLineIn] = Field(..., min_length=1, max_length=sales.MAX_LINES)
    notes: str = Field("", max_length=500)


class RefundLineIn(Schema):
    line_id: int
    quantity: Decimal = Field(..., gt=0, max_digits=12, decimal_places=3)


class RefundIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)
    lines: list[RefundLineIn] = Field(..., min_length=1, max_length=sales.MAX_LINES)


@router.get("sales", response=list[SaleOut], summary="Ventas y devoluciones visibles (por páginas)")
def list_sales(request: HttpRequest, after_id: int = 0, limit: int = 50) -> list[SaleOut]:
    staff = _me(request).is_desk_staff
    queryset = Sale.objects.visible_to(request.user).filter(pk__gt=after_id).order_by("id")
    return [SaleOut.of(s, staff=staff) for s in queryset[: _limit(limit)]]


@router.get(
    "sales/{sale_id}", response={200: SaleOut, 404: ErrorOut}, summary="Un documento de venta"
)
def get_sale(request: HttpRequest, sale_id: int) -> SaleOut:
    sale = get_object_or_404(Sale.objects.visible_to(request.user), pk=sale_id)
    return SaleOut.of(sale, staff=_me(request).is_desk_staff)


@router.post("sales", response={201: SaleOut, **ERRORS}, summary="Registrar una venta")
def create_sale(request: HttpRequest, payload: SaleIn) -> Status[SaleOut]:
    user = _staff(request)
    lines = [
        sales.Line(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            item=get_object_or_404(StockItem, pk=line.item_id) if line.item_id else None,
            location=get_object_or_404(Location, pk=line.location_id) if line.location_id else None,
        )
        for line in payload.lines
    ]
    sale = sales.sell(
        actor=user,
        lines=lines,
        payment_method=payload.payment_method,
        organisation=(
            get_object_or_404(Organisation, pk=payload.organisation_id)
            if payload.organisation_id
            else None
        ),
        customer_name=payload.customer_name,
        notes=payload.notes,
        now=clock.now(),
    )
    return Status(201, SaleOut.of(sale, staff=True))


@router.post(
    "sales/{sale_id}/refunds", response={201: SaleOut, **ERRORS}, summary="Registrar una devolución"
)
def refund_sale(request: HttpRequest, sale_id: int, payload: RefundIn) -> Status[SaleOut]:
    user = _staff(request)
    sale = get_object_or_404(Sale, pk=sale_id)
    document = sales.refund(
        actor=user,
        sale=sale,
        quantities={line.line_id: line.quantity for line in payload.lines},
        reason=payload.reason,
        now=clock.now(),
    )
    return Status(201, SaleOut.of(document, staff=True))


# --- the register and the sales logbook ---------------------------------------------------


class RegisterRowOut(Schema):
    technician_id: int
    name: str
    received: int
    repaired: int
    unrepairable: int
    warranty_returns: int
    share_repaired: float | None
    median_turnaround_hours: float | None
    hours_in_status: dict[str, float]


class BookRowOut(Schema):
    first_day: dt.date
    last_day: dt.date
    documents: int
    revenue: Decimal
    cost: Decimal
    gross_profit: Decimal
    margin: Decimal | None
    expenses: Decimal
    profit: Decimal


def _period(
    request: HttpRequest, date_from: dt.date | None, date_to: dt.date | None
) -> periods.Period:
    query = {
        "desde": date_from.isoformat() if date_from else "",
        "hasta": date_to.isoformat() if date_to else "",
    }
    period, error = periods.from_query(query, now=clock.now())
    if error:
        raise services.RepairError(
            _("Periodo no válido: hasta tres años, el fin después del inicio."), code=error
        )
    return period


@router.get(
    "workshop/register",
    response={200: list[RegisterRowOut], **ERRORS},
    summary="Registro de reparaciones",
)
def repair_register(
    request: HttpRequest, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> list[RegisterRowOut]:
    _staff(request)
    period = _period(request, date_from, date_to)
    data = register.build(start=period.start, end=period.end)
    return [
        RegisterRowOut(
            technician_id=r.technician_id,
            name=r.name,
            received=r.received,
            repaired=r.repaired,
            unrepairable=r.unrepairable,
            warranty_returns=r.warranty_returns,
            share_repaired=r.share_repaired,
            median_turnaround_hours=r.median_turnaround_hours,
            hours_in_status=r.hours_in_status,
        )
        for r in data.rows
    ]


@router.get(
    "workshop/sales-book", response={200: list[BookRowOut], **ERRORS}, summary="Bitácora de ventas"
)
def sales_book(
    request: HttpRequest,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    grain: str = "month",
) -> list[BookRowOut]:
    _staff(request)
    period = _period(request, date_from, date_to)
    if grain not in salesbook.GRAINS:
        raise services.RepairError(_("Agrupación no válida."), code="invalid_grain")
    buckets, _total = salesbook.book(
        first_day=period.first_day, last_day=period.last_day, grain=grain
    )
    return [
        BookRowOut(
            first_day=b.start,
            last_day=b.end - dt.timedelta(days=1),
            documents=b.documents,
            revenue=b.revenue,
            cost=b.cost,
            gross_profit=b.gross_profit,
            margin=b.margin.quantize(Decimal("0.0001")) if b.margin is not None else None,
            expenses=b.expenses,
            profit=b.profit,
        )
        for b in buckets
    ]
