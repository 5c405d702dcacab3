"""API of the inventory: devices, stock items and levels, movements, intakes, counts and
purchase orders, with the same rules and access as the pages.

Devices through `Device.objects.visible_to` (a customer reads their organisation's; another
organisation's device is a 404); stock is the desk's (403 to a customer). Quantities and money
are decimal strings ("12.50"), never floats.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from soporte.directory.api import ErrorOut
from soporte.directory.models import Organisation, Person, User
from soporte.inventory import devices, reads, services
from soporte.inventory.models import (
    CountStatus,
    Device,
    DeviceKind,
    InventorySettings,
    Location,
    MovementKind,
    PurchaseOrder,
    StockCount,
    StockItem,
    StockMovement,
    StockReceipt,
    Supplier,
)
from soporte.lib import clock
from soporte.lib.errors import Forbidden, NotFound

router = Router(tags=["inventario"])

MAX_PAGE = 200
ERRORS = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def _me(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _staff(request: HttpRequest) -> User:
    user = _me(request)
    if not user.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa consulta y mueve el inventario."))
    return user


def _limit(limit: int) -> int:
    return max(1, min(limit, MAX_PAGE))


# --- devices ------------------------------------------------------------------------------


class RemoteAccessOut(Schema):
    tool: str
    remote_id: str
    notes: str


class DeviceOut(Schema):
    id: int
    inventory_tag: str
    organisation_id: int
    owner_id: int | None
    kind: str
    brand: str
    model: str
    serial_number: str
    location: str
    purchase_date: dt.date | None
    warranty_end_date: dt.date | None
    processor: str
    memory: str
    disk: str
    operating_system: str
    ip_address: str
    mac_address: str
    notes: str
    attached_to_id: int | None
    retired_at: dt.datetime | None
    retired_reason: str
    remote_access: list[RemoteAccessOut] = []

    @staticmethod
    def of(device: Device, *, staff: bool) -> DeviceOut:
        out = DeviceOut.model_validate(device, from_attributes=True)
        if staff:
            out.remote_access = [
                RemoteAccessOut(tool=r.tool, remote_id=r.remote_id, notes=r.notes)
                for r in device.remote_ids.order_by("tool", "id")
            ]
        return out


class DeviceIn(Schema):
    organisation_id: int
    kind: str = Field(..., description=", ".join(DeviceKind.values))
    brand: str = Field(..., max_length=80)
    model: str = Field("", max_length=120)
    serial_number: str = Field("", max_length=80)
    inventory_tag: str = Field("", max_length=40, description="Vacía: la siguiente EQ-000123")
    owner_id: int | None = None
    location: str = Field("", max_length=200)
    purchase_date: dt.date | None = None
    warranty_end_date: dt.date | None = None
    processor: str = Field("", max_length=120)
    memory: str = Field("", max_length=60)
    disk: str = Field("", max_length=120)
    operating_system: str = Field("", max_length=120)
    ip_address: str = Field("", max_length=45)
    mac_address: str = Field("", max_length=17)
    notes: str = Field("", max_length=4000)
    attached_to_id: int | None = None


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class RemoteAccessIn(Schema):
    tool: str = Field(..., min_length=1, max_length=80)
    remote_id: str = Field(..., min_length=1, max_length=120)
    notes: str = Field("", max_length=200)


class EventOut(Schema):
    at: dt.datetime
    kind: str
    title: str
    detail: str
    url: str


def _device(request: HttpRequest, device_id: int) -> Device:
    return get_object_or_404(Device.objects.visible_to(request.user), pk=device_id)


def _device_data(request: HttpRequest, payload: DeviceIn) -> devices.DeviceData:
    organisation = get_object_or_404(Organisation.objects.all(), pk=payload.organisation_id)
    owner = None
    if payload.owner_id is not None:
        owner = Person.objects.filter(pk=payload.owner_id).first()
        if owner is None:
            raise NotFound(_("No existe ese responsable."))
    attached_to = None
    if payload.attached_to_id is not None:
        attached_to = Device.objects.filter(pk=payload.attached_to_id).first()
        if attached_to is None:
            raise NotFound(_("No existe ese equipo."))
    data = payload.model_dump(exclude={"organisation_id", "owner_id", "attached_to_id"})
    return devices.DeviceData(
        organisation=organisation, owner=owner, attached_to=attached_to, **data
    )


@router.get("devices", response=list[DeviceOut], summary="Equipos visibles (por páginas)")
def list_devices(
    request: HttpRequest,
    organisation_id: int | None = None,
    kind: str = "",
    q: str = "",
    retired: bool = False,
    after_id: int = 0,
    limit: int = 50,
) -> list[DeviceOut]:
    queryset = Device.objects.visible_to(request.user).filter(pk__gt=after_id)
    if organisation_id is not None:
        queryset = queryset.filter(organisation_id=organisation_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    if not retired:
        queryset = queryset.in_service()
    queryset = devices.search(queryset, q)
    staff = _me(request).is_desk_staff
    return [DeviceOut.of(d, staff=staff) for d in queryset.order_by("id")[: _limit(limit)]]


@router.post("devices", response={201: DeviceOut, **ERRORS}, summary="Registrar un equipo")
def create_device(request: HttpRequest, payload: DeviceIn) -> Status[DeviceOut]:
    user = _staff(request)
    device = devices.register_device(
        actor=user, data=_device_data(request, payload), now=clock.now()
    )
    return Status(201, DeviceOut.of(device, staff=True))


@router.get("devices/{device_id}", response={200: DeviceOut, 404: ErrorOut}, summary="Un equipo")
def get_device(request: HttpRequest, device_id: int) -> DeviceOut:
    return DeviceOut.of(_device(request, device_id), staff=_me(request).is_desk_staff)


@router.put("devices/{device_id}", response={200: DeviceOut, **ERRORS}, summary="Cambiar un equipo")
def update_device(request: HttpRequest, device_id: int, payload: DeviceIn) -> DeviceOut:
    user = _staff(request)
    device = devices.update_device(
        actor=user,
        device=_device(request, device_id),
        data=_device_data(request, payload),
        now=clock.now(),
    )
    return DeviceOut.of(device, staff=True)


@router.post(
    "devices/{device_id}/retire", response={200: DeviceOut, **ERRORS}, summary="Dar de baja"
)
def retire_device(request: HttpRequest, device_id: int, payload: ReasonIn) -> DeviceOut:
    user = _staff(request)
    device = devices.retire_device(
        actor=user, device=_device(request, device_id), reason=payload.reason, now=clock.now()
    )
    return DeviceOut.of(device, staff=True)


@router.post(
    "devices/{device_id}/remote-access",
    response={201: RemoteAccessOut, **ERRORS},
    summary="Registrar un acceso remoto",
)
def add_remote_access(
    request: HttpRequest, device_id: int, payload: RemoteAccessIn
) -> Status[RemoteAccessOut]:
    user = _staff(request)
    access = devices.add_remote_access(
        actor=user, device=_device(request, device_id), **payload.model_dump()
    )
    return Status(
        201, RemoteAccessOut(tool=access.tool, remote_id=access.remote_id, notes=access.notes)
    )


@router.get(
    "devices/{device_id}/timeline",
    response={200: list[EventOut], 404: ErrorOut},
    summary="Historia del equipo: tickets, llamadas, notas y piezas",
)
def device_timeline(request: HttpRequest, device_id: int, limit: int = 200) -> list[EventOut]:
    device = _device(request, device_id)
    events = devices.timeline(device=device, actor=_me(request), limit=min(max(limit, 1), 1000))
    return [
        EventOut(at=e.at, kind=e.kind, title=e.title, detail=e.detail, url=e.url) for e in events
    ]


# --- stock --------------------------------------------------------------------------------


class BalanceOut(Schema):
    location_id: int
    location: str
    on_hand: Decimal
    value_avg: Decimal
    value_fifo: Decimal


class ItemOut(Schema):
    id: int
    sku: str
    name: str
    brand: str
    unit: str
    barcode: str
    serialised: bool
    cost_method: str
    reorder_point: Decimal
    target_level: Decimal
    preferred_supplier_id: int | None
    is_active: bool
    on_hand: Decimal
    value: Decimal
    value_avg: Decimal
    value_fifo: Decimal
    low_stock: bool
    over_stock: bool
    last_movement_at: dt.datetime | None
    balances: list[BalanceOut] = []


class ItemIn(Schema):
    sku: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=200)
    brand: str = Field("", max_length=80)
    unit: str = "pza"
    barcode: str = Field("", max_length=64)
    serialised: bool = False
    cost_method: str = Field("", description="average, fifo o vacío (el de la mesa)")
    reorder_point: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=3)
    target_level: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=3)
    preferred_supplier_id: int | None = None


def _item_out(item: StockItem, level: reads.Level | None, default: str) -> ItemOut:
    zero = Decimal(0)
    on_hand = level.on_hand if level else zero
    method = item.cost_method or default
    return ItemOut(
        id=item.pk,
        sku=item.sku,
        name=item.name,
        brand=item.brand,
        unit=item.unit,
        barcode=item.barcode,
        serialised=item.serialised,
        cost_method=method,
        reorder_point=item.reorder_point,
        target_level=item.target_level,
        preferred_supplier_id=item.preferred_supplier_id,
        is_active=item.is_active,
        on_hand=on_hand,
        value=level.value(method) if level else zero,
        value_avg=level.value_avg if level else zero,
        value_fifo=level.value_fifo if level else zero,
        low_stock=item.reorder_point > 0 and on_hand <= item.reorder_point,
        over_stock=item.target_level > 0 and on_hand > item.target_level,
        last_movement_at=level.last_movement_at if level else None,
    )


@router.get(
    "stock/items",
    response={200: list[ItemOut], 403: ErrorOut},
    summary="Artículos con su existencia y valor",
)
def list_items(
    request: HttpRequest, q: str = "", low_stock: bool = False, after_id: int = 0, limit: int = 200
) -> list[ItemOut]:
    _staff(request)
    queryset = StockItem.objects.filter(pk__gt=after_id)
    if q.strip():
        queryset = queryset.filter(sku__icontains=q.strip()[:40]) | queryset.filter(
            name__icontains=q.strip()[:40]
        )
    items = list(queryset.order_by("id")[: _limit(limit)])
    levels = reads.levels_by_item([i.pk for i in items])
    default = InventorySettings.current().default_cost_method
    out = [_item_out(item, levels.get(item.pk), default) for item in items]
    return [o for o in out if o.low_stock] if low_stock else out


@router.post("stock/items", response={201: ItemOut, **ERRORS}, summary="Crear un artículo")
def create_item(request: HttpRequest, payload: ItemIn) -> Status[ItemOut]:
    user = _staff(request)
    if StockItem.objects.filter(sku=payload.sku.strip().upper()).exists():
        raise services.StockError(_("Ya existe un artículo con ese SKU."), code="sku_exists")
    if payload.target_level < payload.reorder_point:
        raise services.StockError(
            _("El nivel objetivo no puede ser menor que el punto de reorden."), code="levels"
        )
    supplier = None
    if payload.preferred_supplier_id is not None:
        supplier = get_object_or_404(Supplier, pk=payload.preferred_supplier_id)
    item = StockItem(
        **payload.model_dump(exclude={"preferred_supplier_id"}), preferred_supplier=supplier
    )
    if item.unit not in dict(StockItem._meta.get_field("unit").choices or []):
        raise services.StockError(_("Unidad desconocida."), code="invalid_unit")
    if item.serialised and item.unit != "pza":
        raise services.StockError(
            _("Un artículo con número de serie se cuenta en piezas."), code="invalid_unit"
        )
    if item.cost_method not in ("", "average", "fifo"):
        raise services.StockError(_("Método de costo desconocido."), code="invalid_method")
    item = services.save_item(actor=user, item=item, now=clock.now())
    return Status(201, _item_out(item, None, InventorySettings.current().default_cost_method))


@router.get(
    "stock/items/{item_id}",
    response={200: ItemOut, 403: ErrorOut, 404: ErrorOut},
    summary="Un artículo por ubicación",
)
def get_item(request: HttpRequest, item_id: int) -> ItemOut:
    _staff(request)
    item = get_object_or_404(StockItem, pk=item_id)
    out = _item_out(
        item,
        reads.levels_by_item([item.pk]).get(item.pk),
        InventorySettings.current().default_cost_method,
    )
    names = {loc.pk: str(loc) for loc in Location.objects.all()}
    out.balances = [
        BalanceOut(
            location_id=level.location_id or 0,
            location=names.get(level.location_id or 0, ""),
            on_hand=level.on_hand,
            value_avg=level.value_avg,
            value_fifo=level.value_fifo,
        )
        for level in reads.levels_by_location(item_id=item.pk)
    ]
    return out


class MovementOut(Schema):
    id: int
    item_id: int
    sku: str
    location_id: int
    kind: str
    quantity: Decimal
    unit_cost: Decimal | None
    value: Decimal
    value_avg: Decimal
    value_fifo: Decimal
    cost_method: str
    on_hand_after: Decimal
    occurred_at: dt.datetime
    created_by_id: int
    receipt_id: int | None
    ticket_id: int | None
    device_id: int | None
    supplier_id: int | None
    count_id: int | None
    reference: str
    reason: str
    reverses_id: int | None
    transfer_from_id: int | None
    serials: list[str]

    @staticmethod
    def of(m: StockMovement) -> MovementOut:
        return MovementOut(
            id=m.pk,
            item_id=m.item_id,
            sku=m.item.sku,
            location_id=m.location_id,
            kind=m.kind,
            quantity=m.quantity,
            unit_cost=m.unit_cost,
            value=m.value,
            value_avg=m.value_avg,
            value_fifo=m.value_fifo,
            cost_method=m.cost_method,
            on_hand_after=m.on_hand_after,
            occurred_at=m.occurred_at,
            created_by_id=m.created_by_id,
            receipt_id=m.receipt_id,
            ticket_id=m.ticket_id,
            device_id=m.device_id,
            supplier_id=m.supplier_id,
            count_id=m.count_id,
            reference=m.reference,
            reason=m.reason,
            reverses_id=m.reverses_id,
            transfer_from_id=m.transfer_from_id,
            serials=sorted(s.serial.serial for s in m.serials.all()),
        )


def _movements() -> QuerySet[StockMovement]:
    return StockMovement.objects.select_related("item").prefetch_related("serials__serial")


@router.get(
    "stock/movements",
    response={200: list[MovementOut], 403: ErrorOut},
    summary="El libro de movimientos",
)
def list_movements(
    request: HttpRequest,
    item_id: int | None = None,
    location_id: int | None = None,
    kind: str = "",
    device_id: int | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[MovementOut]:
    _staff(request)
    queryset = _movements().filter(pk__gt=after_id)
    if item_id is not None:
        queryset = queryset.filter(item_id=item_id)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    if device_id is not None:
        queryset = queryset.filter(device_id=device_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    return [MovementOut.of(m) for m in queryset.order_by("id")[: _limit(limit)]]


@router.get(
    "stock/movements/{movement_id}",
    response={200: MovementOut, 403: ErrorOut, 404: ErrorOut},
    summary="Un movimiento",
)
def get_movement(request: HttpRequest, movement_id: int) -> MovementOut:
    _staff(request)
    return MovementOut.of(get_object_or_404(_movements(), pk=movement_id))


class DocumentIn(Schema):
    name: str = Field(..., max_length=200)
    content_type: str = Field(..., max_length=100)
    content_base64: str = Field(..., max_length=14_000_000)


class ReceiptLineIn(Schema):
    item_id: int
    quantity: Decimal = Field(..., gt=0, max_digits=12, decimal_places=3)
    unit_cost: Decimal = Field(..., ge=0, max_digits=14, decimal_places=4)
    serials: list[str] = Field([], max_length=1000)


class ReceiptIn(Schema):
    supplier_id: int
    location_id: int
    invoice_number: str = Field(..., min_length=1, max_length=60)
    lines: list[ReceiptLineIn] = Field(..., min_length=1, max_length=services.MAX_LINES)
    notes: str = Field("", max_length=1000)
    document: DocumentIn | None = None


class ReceiptOut(Schema):
    id: int
    supplier_id: int
    invoice_number: str
    location_id: int
    received_at: dt.datetime
    received_by_id: int
    document_sha256: str
    logbook_id: int
    entry_number: int
    movements: list[MovementOut]


def _document(document: DocumentIn | None) -> services.Document | None:
    if document is None:
        return None
    try:
        data = base64.b64decode(document.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise services.StockError(
            _("El documento no es base64 válido."), code="invalid_document"
        ) from exc
    return services.Document(document.name, data, document.content_type)


def _items_by_id(ids: list[int]) -> dict[int, StockItem]:
    items = StockItem.objects.in_bulk(ids)
    missing = sorted(set(ids) - set(items))
    if missing:
        raise NotFound(_("No existen los artículos %(ids)s.") % {"ids": missing})
    return items


def _receipt_out(r: StockReceipt) -> ReceiptOut:
    return ReceiptOut(
        id=r.pk,
        supplier_id=r.supplier_id,
        invoice_number=r.invoice_number,
        location_id=r.location_id,
        received_at=r.received_at,
        received_by_id=r.received_by_id,
        document_sha256=r.document_sha256,
        logbook_id=r.entry.logbook_id,
        entry_number=r.entry.number,
        movements=[MovementOut.of(m) for m in _movements().filter(receipt=r).order_by("id")],
    )


@router.post(
    "stock/receipts",
    response={201: ReceiptOut, **ERRORS},
    summary="Registrar una entrada de proveedor (bitácora de contenido)",
)
def create_receipt(request: HttpRequest, payload: ReceiptIn) -> Status[ReceiptOut]:
    user = _staff(request)
    supplier = get_object_or_404(Supplier, pk=payload.supplier_id)
    location = get_object_or_404(Location, pk=payload.location_id)
    items = _items_by_id([line.item_id for line in payload.lines])
    receipt = services.receive_stock(
        actor=user,
        supplier=supplier,
        location=location,
        invoice_number=payload.invoice_number,
        lines=[
            services.ReceiptLine(items[line.item_id], line.quantity, line.unit_cost, line.serials)
            for line in payload.lines
        ],
        document=_document(payload.document),
        notes=payload.notes,
        now=clock.now(),
    )
    return Status(201, _receipt_out(receipt))


class MoveIn(Schema):
    kind: str = Field(..., description="issue, sale, supplier_return, customer_return o transfer")
    item_id: int
    location_id: int
    to_location_id: int | None = None
    quantity: Decimal = Field(..., gt=0, max_digits=12, decimal_places=3)
    unit_cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=4)
    device_id: int | None = None
    ticket_number: int | None = None
    organisation_id: int | None = None
    supplier_id: int | None = None
    reference: str = Field("", max_length=120)
    reason: str = Field("", max_length=500)
    serials: list[str] = Field([], max_length=1000)


@router.post(
    "stock/movements",
    response={201: list[MovementOut], **ERRORS},
    summary="Registrar salida, venta, devolución o traspaso",
)
def create_movement(request: HttpRequest, payload: MoveIn) -> Status[list[MovementOut]]:
    from soporte.tickets.models import Ticket

    user = _staff(request)
    item = get_object_or_404(StockItem, pk=payload.item_id)
    location = get_object_or_404(Location, pk=payload.location_id)
    device = get_object_or_404(Device, pk=payload.device_id) if payload.device_id else None
    ticket = (
        get_object_or_404(Ticket, number=payload.ticket_number) if payload.ticket_number else None
    )
    organisation = (
        get_object_or_404(Organisation, pk=payload.organisation_id)
        if payload.organisation_id
        else None
    )
    supplier = get_object_or_404(Supplier, pk=payload.supplier_id) if payload.supplier_id else None
    now = clock.now()
    moved: list[StockMovement]
    if payload.kind == MovementKind.TRANSFER:
        if payload.to_location_id is None:
            raise services.StockError(_("Elija el destino del traspaso."), code="no_destination")
        moved = list(
            services.transfer_stock(
                actor=user,
                item=item,
                from_location=location,
                to_location=get_object_or_404(Location, pk=payload.to_location_id),
                quantity=payload.quantity,
                reason=payload.reason,
                serials=payload.serials,
                now=now,
            )
        )
    elif payload.kind == MovementKind.CUSTOMER_RETURN:
        moved = [
            services.return_from_customer(
                actor=user,
                item=item,
                location=location,
                quantity=payload.quantity,
                unit_cost=payload.unit_cost,
                organisation=organisation or (device.organisation if device else None),
                ticket=ticket,
                device=device,
                reference=payload.reference,
                reason=payload.reason,
                serials=payload.serials,
                now=now,
            )
        ]
    else:
        moved = [
            services.issue_stock(
                actor=user,
                item=item,
                location=location,
                quantity=payload.quantity,
                kind=payload.kind,
                ticket=ticket,
                device=device,
                organisation=organisation,
                supplier=supplier,
                reference=payload.reference,
                reason=payload.reason,
                serials=payload.serials,
                now=now,
            )
        ]
    return Status(201, [MovementOut.of(get_object_or_404(_movements(), pk=m.pk)) for m in moved])


@router.post(
    "stock/movements/{movement_id}/reverse",
    response={201: list[MovementOut], **ERRORS},
    summary="Revertir un movimiento",
)
def reverse_movement(
    request: HttpRequest, movement_id: int, payload: ReasonIn
) -> Status[list[MovementOut]]:
    user = _staff(request)
    movement = get_object_or_404(StockMovement, pk=movement_id)
    reversals = services.reverse_movement(
        actor=user, movement=movement, reason=payload.reason, now=clock.now()
    )
    return Status(
        201, [MovementOut.of(get_object_or_404(_movements(), pk=m.pk)) for m in reversals]
    )


# --- counts -------------------------------------------------------------------------------


class CountLineOut(Schema):
    item_id: int
    sku: str
    counted: Decimal
    expected: Decimal
    difference: Decimal


class CountOut(Schema):
    id: int
    location_id: int
    status: str
    created_by_id: int
    created_at: dt.datetime
    approved_by_id: int | None
    approved_at: dt.datetime | None
    logbook_id: int | None
    entry_number: int | None
    lines: list[CountLineOut]


class CountIn(Schema):
    location_id: int
    notes: str = Field("", max_length=1000)


class CountedIn(Schema):
    item_id: int
    counted: Decimal = Field(..., ge=0, max_digits=12, decimal_places=3)


class CountLinesIn(Schema):
    lines: list[CountedIn] = Field(..., min_length=1, max_length=2000)


def _count_out(count: StockCount) -> CountOut:
    count = StockCount.objects.select_related("entry").get(pk=count.pk)
    return CountOut(
        id=count.pk,
        location_id=count.location_id,
        status=count.status,
        created_by_id=count.created_by_id,
        created_at=count.created_at,
        approved_by_id=count.approved_by_id,
        approved_at=count.approved_at,
        logbook_id=count.entry.logbook_id if count.entry else None,
        entry_number=count.entry.number if count.entry else None,
        lines=[
            CountLineOut(
                item_id=d.line.item_id,
                sku=d.line.item.sku,
                counted=d.line.counted,
                expected=d.expected,
                difference=d.difference,
            )
            for d in services.count_differences(count)
        ],
    )


def _count(request: HttpRequest, count_id: int) -> StockCount:
    _staff(request)
    return get_object_or_404(StockCount, pk=count_id)


@router.get(
    "stock/counts", response={200: list[CountOut], 403: ErrorOut}, summary="Conteos físicos"
)
def list_counts(request: HttpRequest, status: str = "", limit: int = 50) -> list[CountOut]:
    _staff(request)
    queryset = StockCount.objects.order_by("-id")
    if status in CountStatus.values:
        queryset = queryset.filter(status=status)
    return [_count_out(c) for c in queryset[: _limit(limit)]]


@router.post("stock/counts", response={201: CountOut, **ERRORS}, summary="Iniciar un conteo físico")
def start_count(request: HttpRequest, payload: CountIn) -> Status[CountOut]:
    user = _staff(request)
    location = get_object_or_404(Location, pk=payload.location_id)
    count = services.start_count(
        actor=user, location=location, notes=payload.notes, now=clock.now()
    )
    return Status(201, _count_out(count))


@router.get(
    "stock/counts/{count_id}",
    response={200: CountOut, 403: ErrorOut, 404: ErrorOut},
    summary="Un conteo con sus diferencias",
)
def get_count(request: HttpRequest, count_id: int) -> CountOut:
    return _count_out(_count(request, count_id))


@router.post(
    "stock/counts/{count_id}/lines",
    response={200: CountOut, **ERRORS},
    summary="Capturar lo contado",
)
def record_count(request: HttpRequest, count_id: int, payload: CountLinesIn) -> CountOut:
    count = _count(request, count_id)
    items = _items_by_id([line.item_id for line in payload.lines])
    services.record_count(
        count=count,
        actor=_me(request),
        counted={items[line.item_id]: line.counted for line in payload.lines},
    )
    return _count_out(count)


@router.post(
    "stock/counts/{count_id}/submit",
    response={200: CountOut, **ERRORS},
    summary="Enviar a aprobación",
)
def submit_count(request: HttpRequest, count_id: int) -> CountOut:
    count = _count(request, count_id)
    return _count_out(services.submit_count(count=count, actor=_me(request), now=clock.now()))


@router.post(
    "stock/counts/{count_id}/approve",
    response={200: CountOut, **ERRORS},
    summary="Aprobar (supervisor): ajustes y nota firmada",
)
def approve_count(request: HttpRequest, count_id: int) -> CountOut:
    count = _count(request, count_id)
    return _count_out(services.approve_count(count=count, actor=_me(request), now=clock.now()))


# --- purchase orders ----------------------------------------------------------------------


class OrderLineOut(Schema):
    id: int
    item_id: int
    sku: str
    quantity: Decimal
    unit_cost: Decimal
    received: Decimal


class OrderOut(Schema):
    id: int
    number: str
    supplier_id: int
    location_id: int
    status: str
    created_at: dt.datetime
    ordered_at: dt.datetime | None
    lines: list[OrderLineOut]
    receipt_ids: list[int]


class ProposeIn(Schema):
    location_id: int


class OrderLineReceiptIn(Schema):
    line_id: int
    quantity: Decimal = Field(..., gt=0, max_digits=12, decimal_places=3)
    serials: list[str] = Field([], max_length=1000)


class OrderReceiptIn(Schema):
    invoice_number: str = Field(..., min_length=1, max_length=60)
    lines: list[OrderLineReceiptIn] = Field(..., min_length=1, max_length=services.MAX_LINES)
    notes: str = Field("", max_length=1000)
    document: DocumentIn | None = None


def _order_out(order: PurchaseOrder) -> OrderOut:
    order = PurchaseOrder.objects.get(pk=order.pk)
    return OrderOut(
        id=order.pk,
        number=str(order),
        supplier_id=order.supplier_id,
        location_id=order.location_id,
        status=order.status,
        created_at=order.created_at,
        ordered_at=order.ordered_at,
        lines=[
            OrderLineOut(
                id=line.pk,
                item_id=line.item_id,
                sku=line.item.sku,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                received=line.received,
            )
            for line in order.lines.select_related("item").order_by("id")
        ],
        receipt_ids=sorted(order.receipts.values_list("pk", flat=True)),
    )


def _order(request: HttpRequest, order_id: int) -> PurchaseOrder:
    _staff(request)
    return get_object_or_404(PurchaseOrder, pk=order_id)


@router.get(
    "stock/purchase-orders",
    response={200: list[OrderOut], 403: ErrorOut},
    summary="Órdenes de compra",
)
def list_orders(request: HttpRequest, status: str = "", limit: int = 50) -> list[OrderOut]:
    _staff(request)
    queryset = PurchaseOrder.objects.order_by("-id")
    if status:
        queryset = queryset.filter(status=status)
    return [_order_out(o) for o in queryset[: _limit(limit)]]


@router.post(
    "stock/purchase-orders/propose",
    response={201: list[OrderOut], **ERRORS},
    summary="Proponer órdenes por existencias bajas",
)
def propose_orders(request: HttpRequest, payload: ProposeIn) -> Status[list[OrderOut]]:
    user = _staff(request)
    location = get_object_or_404(Location, pk=payload.location_id)
    orders = services.propose_purchase_orders(actor=user, location=location, now=clock.now())
    return Status(201, [_order_out(o) for o in orders])


@router.get(
    "stock/purchase-orders/{order_id}",
    response={200: OrderOut, 403: ErrorOut, 404: ErrorOut},
    summary="Una orden de compra",
)
def get_order(request: HttpRequest, order_id: int) -> OrderOut:
    return _order_out(_order(request, order_id))


@router.post(
    "stock/purchase-orders/{order_id}/place",
    response={200: OrderOut, **ERRORS},
    summary="Marcar como pedida",
)
def place_order(request: HttpRequest, order_id: int) -> OrderOut:
    order = _order(request, order_id)
    return _order_out(services.place_order(order=order, actor=_me(request), now=clock.now()))


@router.post(
    "stock/purchase-orders/{order_id}/receive",
    response={201: ReceiptOut, **ERRORS},
    summary="Recibir todo o parte de una orden",
)
def receive_order(
    request: HttpRequest, order_id: int, payload: OrderReceiptIn
) -> Status[ReceiptOut]:
    order = _order(request, order_id)
    lines = {line.pk: line for line in order.lines.all()}
    wanted = []
    for line in payload.lines:
        if line.line_id not in lines:
            raise NotFound(_("Ese renglón no es de esta orden."))
        wanted.append(
            services.OrderReceipt(lines[line.line_id], line.quantity, serials=line.serials)
        )
    receipt = services.receive_purchase_order(
        order=order,
        actor=_me(request),
        lines=wanted,
        invoice_number=payload.invoice_number,
        document=_document(payload.document),
        notes=payload.notes,
        now=clock.now(),
    )
    return Status(201, _receipt_out(receipt))
