"""Use cases of the stock ledger: intake, issue, sale, returns, transfers, counts, reversals,
purchase orders. Keyword-only, the actor and `now` passed in, one transaction each.

Every change of stock is one `StockMovement` row (two for a transfer), valued by `ledger`
under its bucket's row lock, with the bucket's balance and FIFO layers stored in the same
transaction. An intake and an approved count each write one signed entry in the desk's
internal bitácora (the content logbook and the inventory-control logbook of seed 004).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.directory.models import Organisation, User
from soporte.inventory import ledger
from soporte.inventory.models import (
    OPEN_ORDER_STATUSES,
    QTY_PLACES,
    ZERO,
    CostMethod,
    CountStatus,
    Device,
    InventorySettings,
    Location,
    MovementKind,
    MovementSerial,
    OrderStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    StockBalance,
    StockCount,
    StockCountLine,
    StockItem,
    StockLayer,
    StockMovement,
    StockReceipt,
    StockSerial,
    StockTotal,
    Supplier,
)
from soporte.lib.errors import DomainError, Forbidden
from soporte.logbook import services as logbook_services
from soporte.logbook.models import Entry, EntryKind

MAX_LINES = 200
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_QUANTITY = Decimal("1000000")
DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png", "application/xml", "text/xml"}


class StockError(DomainError):
    code = "stock_rule"


# --- small helpers ------------------------------------------------------------------------


def _require_staff(actor: User) -> None:
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa mueve el inventario."))


def _require_manager(actor: User) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Solo un supervisor o un administrador puede hacer esto."))


def parse_quantity(value: object, *, item: StockItem | None = None) -> Decimal:
    """A quantity typed by a person: positive, at most three decimals, whole for pieces
    with serial numbers."""
    try:
        quantity = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise StockError(_("La cantidad no es un número."), code="invalid_quantity") from exc
    if not quantity.is_finite() or quantity <= 0 or quantity > MAX_QUANTITY:
        raise StockError(
            _("La cantidad debe ser mayor que cero y menor que un millón."),
            code="invalid_quantity",
        )
    if quantity != quantity.quantize(Decimal(1).scaleb(-QTY_PLACES)):
        raise StockError(_("La cantidad admite hasta tres decimales."), code="invalid_quantity")
    if item is not None and item.serialised and quantity != quantity.to_integral_value():
        raise StockError(
            _("%(item)s lleva número de serie: la cantidad debe ser entera.") % {"item": item},
            code="invalid_quantity",
        )
    return quantity


def parse_counted(value: object, *, item: StockItem) -> Decimal:
    """What a counter saw: zero or more."""
    text = str(value).strip()
    try:
        if Decimal(text.replace(",", ".")) == 0:
            return ZERO
    except (InvalidOperation, ValueError):
        pass
    return parse_quantity(text, item=item)


def parse_cost(value: object) -> Decimal:
    try:
        cost = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise StockError(_("El costo no es un número."), code="invalid_cost") from exc
    if not cost.is_finite() or cost < 0 or cost > Decimal("100000000"):
        raise StockError(_("El costo debe ser cero o mayor."), code="invalid_cost")
    if cost != ledger.unit_cost(cost):
        raise StockError(_("El costo admite hasta cuatro decimales."), code="invalid_cost")
    return cost


def normalise_serial(serial: str) -> str:
    return "".join(str(serial).split()).upper()[:80]


def _fmt(quantity: Decimal) -> str:
    text = f"{quantity.normalize():f}"
    return text


def _desk_moment(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now)


# --- buckets: load under lock, post, store ------------------------------------------------


@dataclass
class _Bucket:
    balance_pk: int
    state: ledger.Bucket
    layer_pks: dict[int, int]  # source movement id -> StockLayer row
    dirty: set[int] = field(default_factory=set)
    last: StockMovement | None = None
    # What the balance held when locked: the item's total moves by the difference.
    before: tuple[Decimal, Decimal, Decimal] = (ZERO, ZERO, ZERO)


def _lock_buckets(
    pairs: Sequence[tuple[int, int]], outbound: set[tuple[int, int]]
) -> dict[tuple[int, int], _Bucket]:
    """The balances (and FIFO layers) of these (item, location) buckets, locked for the rest
    of the transaction: SELECT … FOR UPDATE in id order on PostgreSQL (no deadlock between
    two intakes); SQLite's IMMEDIATE transaction already holds the database's write lock.

    Stock that only arrives needs no FIFO layer but a negative one (there is at most one, and
    then it is the only layer): an intake of items with hundreds of layers reads none of them.
    Buckets in `outbound` (stock leaves) read all their layers, oldest first."""
    wanted = set(pairs)
    items = {item for item, _location in wanted}
    locations = {location for _item, location in wanted}
    locked = (
        StockBalance.objects.select_for_update()
        .filter(item_id__in=items, location_id__in=locations)
        .order_by("id")
        .values_list("pk", "item_id", "location_id", "on_hand", "value_avg", "value_fifo")
    )
    rows = list(locked)
    missing = sorted(wanted - {(item, location) for _pk, item, location, *_rest in rows})
    if missing:
        # First movement of an item at a location: its balance (and total) rows, then lock.
        StockBalance.objects.bulk_create(
            [StockBalance(item_id=i, location_id=loc) for i, loc in missing], ignore_conflicts=True
        )
        StockTotal.objects.bulk_create(
            [StockTotal(item_id=i) for i in sorted({i for i, _loc in missing})],
            ignore_conflicts=True,
        )
        rows = list(locked.all())
    buckets = {
        (item, location): _Bucket(
            pk,
            ledger.Bucket(on_hand, value_avg, value_fifo, []),
            {},
            before=(on_hand, value_avg, value_fifo),
        )
        for pk, item, location, on_hand, value_avg, value_fifo in rows
        if (item, location) in wanted
    }
    if not outbound and all(b.state.on_hand >= 0 for b in buckets.values()):
        # A negative FIFO layer exists only while its bucket's stock is below zero.
        return buckets
    which = Q(remaining__lt=0)
    if outbound:
        which |= Q(item_id__in={item for item, _location in outbound})
    layers = (
        StockLayer.objects.filter(which, item_id__in=items, location_id__in=locations)
        .order_by("source_id")
        .values_list("pk", "item_id", "location_id", "source_id", "remaining", "remaining_value")
    )
    for pk, item, location, source_id, remaining, remaining_value in layers:
        bucket = buckets.get((item, location))
        if bucket is not None and (remaining < 0 or (item, location) in outbound):
            bucket.state.layers.append(ledger.Layer(source_id, remaining, remaining_value))
            bucket.layer_pks[source_id] = pk
    return buckets


def _store(buckets: Sequence[_Bucket], ids: dict[int, int]) -> None:
    """Write back the balances, per-item totals and FIFO layers this batch changed, a few
    statements for the whole batch; `ids` maps the placeholders of the batch's new movements
    to their ids. Plain parameter rows, no model instances: Django's `bulk_update` compiled a
    CASE expression per row, and building model instances cost more than the statements."""
    connection = transaction.get_connection()
    qty = StockBalance._meta.get_field("on_hand")
    money = StockBalance._meta.get_field("value_avg")
    at = StockBalance._meta.get_field("last_movement_at")
    created: list[tuple[Any, ...]] = []
    changed: list[tuple[Any, ...]] = []
    gone: list[int] = []
    balances: list[tuple[Any, ...]] = []
    deltas: dict[int, list[Any]] = {}
    for bucket in buckets:
        last = bucket.last
        assert last is not None
        state = bucket.state
        for layer in state.layers:
            layer.source_id = ids.get(layer.source_id, layer.source_id)
        live = {layer.source_id: layer for layer in state.layers}
        for source_id in {ids.get(s, s) for s in bucket.dirty}:
            kept = live.get(source_id)
            pk = bucket.layer_pks.get(source_id)
            if kept is None:
                if pk is not None:
                    gone.append(pk)
            elif pk is not None:
                changed.append(
                    (
                        qty.get_prep_value(kept.remaining),
                        money.get_prep_value(kept.remaining_value),
                        pk,
                    )
                )
            else:
                created.append(
                    (
                        last.item_id,
                        last.location_id,
                        source_id,
                        qty.get_prep_value(kept.remaining),
                        money.get_prep_value(kept.remaining_value),
                    )
                )
        when = at.get_db_prep_value(last.occurred_at, connection)
        balances.append(
            (
                qty.get_prep_value(state.on_hand),
                money.get_prep_value(state.value_avg),
                money.get_prep_value(state.value_fifo),
                last.pk,
                when,
                bucket.balance_pk,
            )
        )
        # Each item's total moves by what its balances moved (relative, so two intakes of
        # one item at two locations add up; in item order, so they never deadlock).
        delta = deltas.setdefault(last.item_id, [ZERO, ZERO, ZERO, when])
        delta[0] += state.on_hand - bucket.before[0]
        delta[1] += state.value_avg - bucket.before[1]
        delta[2] += state.value_fifo - bucket.before[2]
        delta[3] = when
    layer_table, balance_table = StockLayer._meta.db_table, StockBalance._meta.db_table
    with connection.cursor() as cursor:
        if gone:
            cursor.execute(
                f"DELETE FROM {layer_table} WHERE id IN ({', '.join(['%s'] * len(gone))})",  # noqa: S608
                gone,
            )
        if created:
            cursor.executemany(
                f"INSERT INTO {layer_table} (item_id, location_id, source_id, remaining, "  # noqa: S608
                "remaining_value) VALUES (%s, %s, %s, %s, %s)",
                created,
            )
        if changed:
            cursor.executemany(
                f"UPDATE {layer_table} SET remaining = %s, remaining_value = %s WHERE id = %s",  # noqa: S608
                changed,
            )
        cursor.executemany(
            f"UPDATE {balance_table} SET on_hand = %s, value_avg = %s, "  # noqa: S608
            "value_fifo = %s, last_movement_id = %s, last_movement_at = %s WHERE id = %s",
            balances,
        )
        cursor.executemany(
            f"UPDATE {StockTotal._meta.db_table} SET on_hand = on_hand + %s, "  # noqa: S608
            "value_avg = value_avg + %s, value_fifo = value_fifo + %s, last_movement_at = %s "
            "WHERE item_id = %s",
            [
                (
                    qty.get_prep_value(q),
                    money.get_prep_value(va),
                    money.get_prep_value(vf),
                    when,
                    item_id,
                )
                for item_id, (q, va, vf, when) in sorted(deltas.items())
            ],
        )


def _insert(rows: Sequence[Any]) -> None:
    """INSERT rows of one model in multi-row statements, ids back through RETURNING (SQLite
    ≥ 3.35 and PostgreSQL), as `bulk_create` does; its query compiler cost more per intake
    than the rest of the posting (bench/inventory)."""
    if not rows:
        return
    model = type(rows[0])
    connection = transaction.get_connection()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    step = max(1, 900 // len(fields))  # within every SQLite build's bound-variable limit
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} ({columns}) VALUES "  # noqa: S608
                f"{', '.join([one] * len(chunk))} RETURNING {connection.ops.quote_name('id')}",
                [
                    f.get_db_prep_save(getattr(row, f.attname), connection)
                    for row in chunk
                    for f in fields
                ],
            )
            for row, (pk,) in zip(chunk, cursor.fetchall(), strict=True):
                row.pk = pk
                row._state.adding = False
                row._state.db = connection.alias


def last_inbound_cost(item: StockItem) -> Decimal:
    """The item's last inbound unit cost in posting order (0 before any)."""
    cost = (
        StockMovement.objects.filter(item=item, unit_cost__isnull=False)
        .order_by("-id")
        .values_list("unit_cost", flat=True)
        .first()
    )
    return cost if cost is not None else ZERO


@dataclass
class _Post:
    """One movement to post; `values` for an inbound of known worth (else at `unit_cost`)."""

    item: StockItem
    location: Location
    kind: str
    quantity: Decimal  # signed
    actor: User
    occurred_at: dt.datetime
    unit_cost: Decimal | None = None
    values: tuple[Decimal, Decimal] | None = None
    prefer_layer: int | None = None
    links: dict[str, object] = field(default_factory=dict)


def _negative_stock(
    item: StockItem, location: Location, on_hand: Decimal, wanted: Decimal
) -> StockError:
    return StockError(
        _(
            "No hay existencia suficiente de %(item)s en %(location)s: hay %(on_hand)s "
            "%(unit)s y se piden %(wanted)s. La mesa no permite existencias negativas."
        )
        % {
            "item": item,
            "location": location,
            "on_hand": _fmt(on_hand),
            "unit": item.unit,
            "wanted": _fmt(wanted),
        },
        code="negative_stock",
        item=item.sku,
        location=location.code,
        on_hand=str(on_hand),
        requested=str(wanted),
    )


def _post_all(posts: Sequence[_Post], rules: InventorySettings) -> list[StockMovement]:
    """Post movements in order: value each under its bucket's lock (`ledger`), insert them in
    one statement, then store every touched balance and layer once. An intake of fifty lines
    costs a handful of statements, not fifty times as many."""
    buckets = _lock_buckets(
        [(p.item.pk, p.location.pk) for p in posts],
        {(p.item.pk, p.location.pk) for p in posts if p.quantity < 0 or p.prefer_layer},
    )
    last_costs: dict[int, Decimal] = {}

    def fallback(item: StockItem) -> Decimal:
        if item.pk not in last_costs:
            last_costs[item.pk] = last_inbound_cost(item)
        return last_costs[item.pk]

    movements = []
    for n, post in enumerate(posts):
        placeholder = -(n + 1)
        item, location = post.item, post.location
        bucket = buckets[(item.pk, location.pk)]
        state = bucket.state
        if post.quantity > 0:
            if post.values is not None:
                value_avg, value_fifo = post.values
            else:
                if post.unit_cost is None:
                    post.unit_cost = ledger.current_rate(state, fallback(item))
                value_avg, value_fifo = ledger.inbound_values(state, post.quantity, post.unit_cost)
            change = ledger.inbound(
                state,
                source_id=placeholder,
                quantity=post.quantity,
                value_avg=value_avg,
                value_fifo=value_fifo,
            )
        else:
            wanted = -post.quantity
            if state.on_hand - wanted < 0 and not rules.allow_negative_stock:
                raise _negative_stock(item, location, state.on_hand, wanted)
            change = ledger.outbound(
                state,
                source_id=placeholder,
                quantity=wanted,
                fallback_rate=fallback(item) if state.on_hand < wanted else ZERO,
                prefer_layer=post.prefer_layer,
            )
        if post.unit_cost is not None:
            last_costs[item.pk] = post.unit_cost
        bucket.dirty |= state.touched
        movement = StockMovement(
            item=item,
            location=location,
            kind=post.kind,
            quantity=post.quantity,
            unit_cost=post.unit_cost,
            value_avg=change.value_avg,
            value_fifo=change.value_fifo,
            cost_method=item.effective_cost_method(rules.default_cost_method),
            on_hand_after=state.on_hand,
            occurred_at=post.occurred_at,
            created_by=post.actor,
            **post.links,
        )
        bucket.last = movement
        movements.append(movement)
    _insert(movements)
    ids = {-(n + 1): movement.pk for n, movement in enumerate(movements)}
    _store([bucket for bucket in buckets.values() if bucket.last is not None], ids)
    return movements


def _post(post: _Post, rules: InventorySettings) -> StockMovement:
    return _post_all([post], rules)[0]


# --- serial numbers -----------------------------------------------------------------------


def _clean_serials(item: StockItem, serials: Sequence[str], quantity: Decimal) -> list[str]:
    if not item.serialised:
        if serials:
            raise StockError(
                _("%(item)s no lleva número de serie.") % {"item": item}, code="not_serialised"
            )
        return []
    cleaned = [normalise_serial(s) for s in serials if str(s).strip()]
    if len(cleaned) != int(quantity):
        raise StockError(
            _("%(item)s lleva número de serie: capture %(n)d números, uno por pieza.")
            % {"item": item, "n": int(quantity)},
            code="serials_required",
        )
    repeated = sorted({s for s in cleaned if cleaned.count(s) > 1})
    if repeated:
        raise StockError(
            _("Números de serie repetidos: %(serials)s.") % {"serials": ", ".join(repeated)},
            code="serial_repeated",
            serials=repeated,
        )
    return cleaned


def _capture_serials(item: StockItem, serials: list[str], movement: StockMovement) -> None:
    """Serial numbers at receipt: new, unique per brand (the database backs the check)."""
    existing = sorted(
        StockSerial.objects.filter(brand__iexact=item.brand, serial__in=serials).values_list(
            "serial", flat=True
        )
    )
    if existing:
        raise StockError(
            _("Ya existe el número de serie %(serials)s de la marca %(brand)s.")
            % {"serials": ", ".join(existing), "brand": item.brand or "—"},
            code="serial_exists",
            serials=existing,
        )
    created = StockSerial.objects.bulk_create(
        [
            StockSerial(
                item=item,
                brand=item.brand,
                serial=s,
                location=movement.location,
                received_by_movement=movement,
            )
            for s in serials
        ]
    )
    MovementSerial.objects.bulk_create(
        [MovementSerial(movement=movement, serial=serial) for serial in created]
    )


def _move_serials(
    item: StockItem,
    serials: list[str],
    movement: StockMovement,
    *,
    from_location: Location | None,
    to_location: Location | None,
) -> None:
    """Serialised pieces leave `from_location` (None: they were out of stock) for
    `to_location` (None: out of stock)."""
    found = list(
        StockSerial.objects.select_for_update().filter(
            item=item, serial__in=serials, location=from_location
        )
    )
    missing = sorted(set(serials) - {s.serial for s in found})
    if missing:
        where = from_location or _("fuera del almacén")
        raise StockError(
            _("Los números de serie %(serials)s de %(item)s no están en %(where)s.")
            % {"serials": ", ".join(missing), "item": item, "where": where},
            code="serial_not_here",
            serials=missing,
        )
    StockSerial.objects.filter(pk__in=[s.pk for s in found]).update(location=to_location)
    MovementSerial.objects.bulk_create(
        [MovementSerial(movement=movement, serial=serial) for serial in found]
    )


# --- intake: the content logbook ----------------------------------------------------------


@dataclass
class ReceiptLine:
    item: StockItem
    quantity: Decimal
    unit_cost: Decimal
    serials: Sequence[str] = ()
    order_line: PurchaseOrderLine | None = None


@dataclass(frozen=True)
class Document:
    name: str
    data: bytes
    content_type: str


def _clean_name(name: str) -> str:
    name = unicodedata.normalize("NFC", os.path.basename(name.replace("\\", "/")))
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"/\\|?*')
    return name.strip(" .")[:200] or "documento"


def document_path(key: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "inventory" / key[:2] / key


def _store_document(document: Document) -> tuple[str, str]:
    """Write the supplier's document (fsynced) under a random key; returns (key, sha256)."""
    if len(document.data) > MAX_DOCUMENT_BYTES:
        raise StockError(
            _("El documento pesa más de %(mb)d MB.") % {"mb": MAX_DOCUMENT_BYTES // 2**20},
            code="document_too_large",
        )
    if document.content_type not in DOCUMENT_TYPES:
        raise StockError(
            _("El documento debe ser PDF, JPEG, PNG o XML (CFDI)."), code="document_type"
        )
    key = secrets.token_hex(16)
    path = document_path(key)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as handle:
        handle.write(document.data)
        handle.flush()
        os.fsync(handle.fileno())
    return key, hashlib.sha256(document.data).hexdigest()


def _logbook_time_fields(now: dt.datetime) -> dict[str, str]:
    local = _desk_moment(now)
    return {"date": local.date().isoformat(), "time": local.strftime("%H:%M")}


@transaction.atomic
def receive_stock(
    *,
    actor: User,
    supplier: Supplier,
    location: Location,
    invoice_number: str,
    lines: Sequence[ReceiptLine],
    now: dt.datetime,
    document: Document | None = None,
    notes: str = "",
    purchase_order: PurchaseOrder | None = None,
    rules: InventorySettings | None = None,
) -> StockReceipt:
    """Intake from a supplier: one movement per line, serial numbers captured at receipt,
    the supplier's document kept, and one entry in the desk's bitácora signed by whoever
    received it (the content logbook, seed 004)."""
    _require_staff(actor)
    invoice_number = invoice_number.strip()[:60]
    if not invoice_number:
        raise StockError(_("Escriba el número de factura o remisión."), code="invoice_required")
    if not lines:
        raise StockError(_("La entrada no tiene artículos."), code="no_lines")
    if len(lines) > MAX_LINES:
        raise StockError(
            _("Una entrada admite hasta %(n)d renglones.") % {"n": MAX_LINES}, code="too_many"
        )
    if not location.is_active:
        raise StockError(_("La ubicación no está activa."), code="location_inactive")
    rules = rules or InventorySettings.current()
    key = sha256 = ""
    if document is not None:
        key, sha256 = _store_document(document)
    entry = _content_entry(
        actor=actor,
        supplier=supplier,
        location=location,
        invoice_number=invoice_number,
        lines=lines,
        document=document,
        sha256=sha256,
        notes=notes,
        purchase_order=purchase_order,
        now=now,
    )
    receipt = StockReceipt.objects.create(
        supplier=supplier,
        invoice_number=invoice_number,
        location=location,
        purchase_order=purchase_order,
        received_by=actor,
        received_at=now,
        notes=notes.strip()[:1000],
        document_key=key,
        document_name=_clean_name(document.name) if document else "",
        document_content_type=document.content_type if document else "",
        document_size=len(document.data) if document else 0,
        document_sha256=sha256,
        entry=entry,
    )
    posts, serials = [], []
    for line in lines:
        quantity = parse_quantity(line.quantity, item=line.item)
        serials.append(_clean_serials(line.item, line.serials, quantity))
        posts.append(
            _Post(
                item=line.item,
                location=location,
                kind=MovementKind.RECEIPT,
                quantity=quantity,
                actor=actor,
                occurred_at=now,
                unit_cost=parse_cost(line.unit_cost),
                links={
                    "receipt": receipt,
                    "supplier": supplier,
                    "purchase_order_line": line.order_line,
                    "reference": invoice_number,
                },
            )
        )
    for line, movement, line_serials in zip(lines, _post_all(posts, rules), serials, strict=True):
        if line_serials:
            _capture_serials(line.item, line_serials, movement)
    return receipt


def _content_entry(
    *,
    actor: User,
    supplier: Supplier,
    location: Location,
    invoice_number: str,
    lines: Sequence[ReceiptLine],
    document: Document | None,
    sha256: str,
    notes: str,
    purchase_order: PurchaseOrder | None,
    now: dt.datetime,
) -> Entry:
    total = sum((ledger.cents(Decimal(line.quantity) * line.unit_cost) for line in lines), ZERO)
    detail = "\n".join(
        f"{line.item.sku} {line.item.name}: {_fmt(Decimal(line.quantity))} {line.item.unit}"
        f" × ${line.unit_cost}"
        + (f" ({', '.join(normalise_serial(s) for s in line.serials)})" if line.serials else "")
        for line in lines
    )
    fields = {
        **_logbook_time_fields(now),
        "process": _("Entrada de recursos (bitácora de contenido)"),
        "observations": detail,
        "supplier": f"{supplier.name}" + (f", RFC {supplier.tax_id}" if supplier.tax_id else ""),
        "invoice": invoice_number,
        "location": str(location),
        "received_by": str(actor),
        "total": f"${total}",
    }
    if purchase_order is not None:
        fields["purchase_order"] = str(purchase_order)
    if document is not None:
        fields["document"] = _clean_name(document.name)
        fields["document_sha256"] = sha256
    if notes.strip():
        fields["notes"] = notes.strip()
    return logbook_services.append_entry(
        logbook=logbook_services.desk_logbook(now=now),
        kind=EntryKind.MANUAL,
        author=actor,
        summary=_("Entrada de %(supplier)s, %(invoice)s: %(n)d renglones, $%(total)s")
        % {"supplier": supplier.name, "invoice": invoice_number, "n": len(lines), "total": total},
        fields=fields,
        subject=logbook_services.Subject("stock_receipt", invoice_number, supplier.name),
        now=now,
    )


# --- issues, sales, returns, transfers ----------------------------------------------------

OUTBOUND = (MovementKind.ISSUE, MovementKind.SALE, MovementKind.SUPPLIER_RETURN)


@transaction.atomic
def issue_stock(
    *,
    actor: User,
    item: StockItem,
    location: Location,
    quantity: Decimal,
    kind: str = MovementKind.ISSUE,
    now: dt.datetime,
    ticket: object | None = None,
    device: Device | None = None,
    organisation: Organisation | None = None,
    supplier: Supplier | None = None,
    reference: str = "",
    reason: str = "",
    serials: Sequence[str] = (),
    rules: InventorySettings | None = None,
) -> StockMovement:
    """Stock leaves: to a repair or a ticket (and the device it went into), a sale, or back to
    the supplier. Refused below zero unless the desk allows negative stock."""
    _require_staff(actor)
    if kind not in OUTBOUND:
        raise StockError(_("Tipo de salida no válido."), code="invalid_kind")
    if kind == MovementKind.SUPPLIER_RETURN and supplier is None:
        raise StockError(_("Indique a qué proveedor se devuelve."), code="supplier_required")
    organisation_id = organisation.pk if organisation is not None else None
    if device is not None and organisation_id is None:
        organisation_id = device.organisation_id
    quantity = parse_quantity(quantity, item=item)
    cleaned = _clean_serials(item, serials, quantity)
    movement = _post(
        _Post(
            item=item,
            location=location,
            kind=kind,
            quantity=-quantity,
            actor=actor,
            occurred_at=now,
            links={
                "ticket": ticket,
                "device": device,
                "organisation_id": organisation_id,
                "supplier": supplier,
                "reference": reference.strip()[:120],
                "reason": reason.strip()[:500],
            },
        ),
        rules or InventorySettings.current(),
    )
    if cleaned:
        _move_serials(item, cleaned, movement, from_location=location, to_location=None)
    return movement


@transaction.atomic
def return_from_customer(
    *,
    actor: User,
    item: StockItem,
    location: Location,
    quantity: Decimal,
    now: dt.datetime,
    unit_cost: Decimal | None = None,
    organisation: Organisation | None = None,
    ticket: object | None = None,
    device: Device | None = None,
    reference: str = "",
    reason: str = "",
    serials: Sequence[str] = (),
    rules: InventorySettings | None = None,
) -> StockMovement:
    """A customer gives stock back; valued at `unit_cost`, else at the current average."""
    _require_staff(actor)
    quantity = parse_quantity(quantity, item=item)
    cleaned = _clean_serials(item, serials, quantity)
    movement = _post(
        _Post(
            item=item,
            location=location,
            kind=MovementKind.CUSTOMER_RETURN,
            quantity=quantity,
            actor=actor,
            occurred_at=now,
            unit_cost=parse_cost(unit_cost) if unit_cost is not None else None,
            links={
                "organisation": organisation,
                "ticket": ticket,
                "device": device,
                "reference": reference.strip()[:120],
                "reason": reason.strip()[:500],
            },
        ),
        rules or InventorySettings.current(),
    )
    if cleaned:
        _move_serials(item, cleaned, movement, from_location=None, to_location=location)
    return movement


@transaction.atomic
def transfer_stock(
    *,
    actor: User,
    item: StockItem,
    from_location: Location,
    to_location: Location,
    quantity: Decimal,
    now: dt.datetime,
    reason: str = "",
    serials: Sequence[str] = (),
    rules: InventorySettings | None = None,
) -> tuple[StockMovement, StockMovement]:
    """Two movements: out of one location and into the other at the same value, so a
    transfer never changes what the item is worth."""
    _require_staff(actor)
    if from_location.pk == to_location.pk:
        raise StockError(_("El origen y el destino son la misma ubicación."), code="same_location")
    if not to_location.is_active:
        raise StockError(_("La ubicación de destino no está activa."), code="location_inactive")
    rules = rules or InventorySettings.current()
    quantity = parse_quantity(quantity, item=item)
    cleaned = _clean_serials(item, serials, quantity)
    reason = reason.strip()[:500]
    out = _post(
        _Post(
            item,
            from_location,
            MovementKind.TRANSFER,
            -quantity,
            actor,
            now,
            links={"reason": reason},
        ),
        rules,
    )
    into = _post(
        _Post(
            item,
            to_location,
            MovementKind.TRANSFER,
            quantity,
            actor,
            now,
            values=(-out.value_avg, -out.value_fifo),
            links={"reason": reason, "transfer_from": out},
        ),
        rules,
    )
    if cleaned:
        _move_serials(item, cleaned, out, from_location=from_location, to_location=to_location)
        MovementSerial.objects.bulk_create(
            [MovementSerial(movement=into, serial=link.serial) for link in out.serials.all()]
        )
    return out, into


# --- reversals ----------------------------------------------------------------------------


@transaction.atomic
def reverse_movement(
    *,
    actor: User,
    movement: StockMovement,
    reason: str,
    now: dt.datetime,
    rules: InventorySettings | None = None,
) -> list[StockMovement]:
    """Correct a wrong movement with its opposite (the original is never edited). A transfer
    is reversed by both legs. Stock that arrived leaves at today's cost (its own FIFO layer
    first); stock that left comes back at exactly the value it left with."""
    _require_staff(actor)
    reason = reason.strip()[:500]
    if not reason:
        raise StockError(_("Indique por qué se revierte el movimiento."), code="reason_required")
    rules = rules or InventorySettings.current()
    movement = StockMovement.objects.select_related("item", "location").get(pk=movement.pk)
    if movement.kind == MovementKind.REVERSAL:
        raise StockError(
            _("Un reverso no se revierte: registre el movimiento correcto."),
            code="reversal_of_reversal",
        )
    legs = [movement]
    if movement.kind == MovementKind.TRANSFER:
        out = movement.transfer_from or movement
        into = StockMovement.objects.select_related("item", "location").get(transfer_from=out)
        legs = [into, StockMovement.objects.select_related("item", "location").get(pk=out.pk)]
    if StockMovement.objects.filter(reverses__in=legs).exists():
        raise StockError(_("Ese movimiento ya fue revertido."), code="already_reversed")
    reversals: list[StockMovement] = []
    for leg in legs:
        links = {
            "reverses": leg,
            "reason": reason,
            "reference": leg.reference,
            "ticket_id": leg.ticket_id,
            "device_id": leg.device_id,
            "organisation_id": leg.organisation_id,
            "supplier_id": leg.supplier_id,
        }
        if leg.quantity > 0:
            post = _Post(
                leg.item,
                leg.location,
                MovementKind.REVERSAL,
                -leg.quantity,
                actor,
                now,
                prefer_layer=leg.pk,
                links=links,
            )
        else:
            values = (-leg.value_avg, -leg.value_fifo)
            if leg.kind == MovementKind.TRANSFER and reversals:
                # The outbound leg comes back with what its inbound leg's reversal took.
                values = (-reversals[-1].value_avg, -reversals[-1].value_fifo)
            post = _Post(
                leg.item,
                leg.location,
                MovementKind.REVERSAL,
                -leg.quantity,
                actor,
                now,
                values=values,
                links=links,
            )
        reversal = _post(post, rules)
        serial_ids = list(leg.serials.values_list("serial_id", flat=True))
        if serial_ids:
            back_to = leg.location if leg.quantity < 0 else None
            StockSerial.objects.filter(pk__in=serial_ids).update(location=back_to)
            MovementSerial.objects.bulk_create(
                [MovementSerial(movement=reversal, serial_id=pk) for pk in serial_ids]
            )
        reversals.append(reversal)
    return reversals


# --- physical counts: the inventory-control logbook ---------------------------------------


@transaction.atomic
def start_count(
    *, actor: User, location: Location, now: dt.datetime, notes: str = ""
) -> StockCount:
    _require_staff(actor)
    if StockCount.objects.filter(
        location=location, status__in=[CountStatus.OPEN, CountStatus.SUBMITTED]
    ).exists():
        raise StockError(
            _("Ya hay un conteo abierto en %(location)s.") % {"location": location},
            code="count_open",
        )
    return StockCount.objects.create(
        location=location, created_by=actor, created_at=now, notes=notes.strip()[:1000]
    )


@transaction.atomic
def record_count(*, count: StockCount, actor: User, counted: dict[StockItem, object]) -> StockCount:
    """The counter enters what they see (item by item; a later figure replaces an earlier
    one while the count is open)."""
    _require_staff(actor)
    count = StockCount.objects.select_for_update().get(pk=count.pk)
    if count.status != CountStatus.OPEN:
        raise StockError(_("El conteo ya no está en captura."), code="count_closed")
    if len(counted) > 2000:
        raise StockError(_("Demasiados renglones en un conteo."), code="too_many")
    for item, value in counted.items():
        quantity = parse_counted(value, item=item)
        StockCountLine.objects.update_or_create(
            count=count, item=item, defaults={"counted": quantity}
        )
    return count


def on_hand_at(location: Location, items: Sequence[StockItem]) -> dict[int, Decimal]:
    rows = StockBalance.objects.filter(location=location, item__in=items).values_list(
        "item_id", "on_hand"
    )
    return {item_id: on_hand for item_id, on_hand in rows}


@transaction.atomic
def submit_count(*, count: StockCount, actor: User, now: dt.datetime) -> StockCount:
    """The count goes to a supervisor with the differences against the ledger as of now."""
    _require_staff(actor)
    count = StockCount.objects.select_for_update().get(pk=count.pk)
    if count.status != CountStatus.OPEN:
        raise StockError(_("El conteo ya no está en captura."), code="count_closed")
    lines = list(count.lines.select_related("item"))
    if not lines:
        raise StockError(_("El conteo no tiene renglones."), code="no_lines")
    expected = on_hand_at(count.location, [line.item for line in lines])
    for line in lines:
        StockCountLine.objects.filter(pk=line.pk).update(expected=expected.get(line.item_id, ZERO))
    StockCount.objects.filter(pk=count.pk).update(status=CountStatus.SUBMITTED, submitted_at=now)
    count.refresh_from_db()
    return count


@dataclass(frozen=True)
class CountDifference:
    line: StockCountLine
    expected: Decimal
    difference: Decimal


def count_differences(count: StockCount) -> list[CountDifference]:
    """Each line against the ledger now (or, once approved, against what was adjusted)."""
    lines = list(count.lines.select_related("item").order_by("item__sku", "id"))
    if count.status == CountStatus.APPROVED:
        current = {line.item_id: line.expected or ZERO for line in lines}
    else:
        current = on_hand_at(count.location, [line.item for line in lines])
    return [
        CountDifference(
            line, current.get(line.item_id, ZERO), line.counted - current.get(line.item_id, ZERO)
        )
        for line in lines
    ]


@transaction.atomic
def approve_count(
    *, count: StockCount, actor: User, now: dt.datetime, rules: InventorySettings | None = None
) -> StockCount:
    """A supervisor approves: each difference against the ledger becomes an adjustment
    movement, and the whole count one signed entry in the desk's bitácora."""
    _require_manager(actor)
    count = StockCount.objects.select_for_update().select_related("location").get(pk=count.pk)
    if count.status != CountStatus.SUBMITTED:
        raise StockError(_("Solo se aprueba un conteo enviado."), code="count_not_submitted")
    rules = rules or InventorySettings.current()
    differences = count_differences(count)
    reason = _("Conteo físico #%(n)d") % {"n": count.pk}
    report = []
    value_change = ZERO
    adjusted = 0
    for diff in differences:
        line = diff.line
        StockCountLine.objects.filter(pk=line.pk).update(expected=diff.expected)
        if diff.difference == 0:
            continue
        movement = _post(
            _Post(
                line.item,
                count.location,
                MovementKind.ADJUSTMENT,
                diff.difference,
                actor,
                now,
                links={"count": count, "reason": reason},
            ),
            # A count states what is there: its adjustment may take a bucket to what was
            # counted even where the ledger had less, never below zero (counted >= 0).
            _lenient(rules),
        )
        value_change += movement.value
        adjusted += 1
        report.append(
            f"{line.item.sku} {line.item.name}: "
            + _("sistema %(expected)s, contado %(counted)s, diferencia %(diff)s, valor %(value)s")
            % {
                "expected": _fmt(diff.expected),
                "counted": _fmt(line.counted),
                "diff": _fmt(diff.difference),
                "value": movement.value,
            }
        )
    entry = logbook_services.append_entry(
        logbook=logbook_services.desk_logbook(now=now),
        kind=EntryKind.MANUAL,
        author=actor,
        summary=_("Conteo físico #%(n)d de %(location)s: %(k)d diferencias, %(value)s")
        % {"n": count.pk, "location": count.location, "k": adjusted, "value": value_change},
        fields={
            **_logbook_time_fields(now),
            "process": _("Conteo físico (bitácora concisa de base)"),
            "observations": "\n".join(report) or _("Sin diferencias."),
            "location": str(count.location),
            "counted_by": str(count.created_by),
            "lines": str(len(differences)),
            "value_change": str(value_change),
        },
        subject=logbook_services.Subject("stock_count", str(count.pk), str(count.location)),
        now=now,
    )
    StockCount.objects.filter(pk=count.pk).update(
        status=CountStatus.APPROVED, approved_by=actor, approved_at=now, entry=entry
    )
    count.refresh_from_db()
    return count


def _lenient(rules: InventorySettings) -> InventorySettings:
    return InventorySettings(
        id=rules.id, default_cost_method=rules.default_cost_method, allow_negative_stock=True
    )


@transaction.atomic
def cancel_count(*, count: StockCount, actor: User) -> StockCount:
    _require_staff(actor)
    count = StockCount.objects.select_for_update().get(pk=count.pk)
    if count.status not in (CountStatus.OPEN, CountStatus.SUBMITTED):
        raise StockError(_("Ese conteo ya está cerrado."), code="count_closed")
    StockCount.objects.filter(pk=count.pk).update(status=CountStatus.CANCELLED)
    count.refresh_from_db()
    return count


# --- purchase orders ----------------------------------------------------------------------


def item_totals(items: Sequence[StockItem] | None = None) -> dict[int, Decimal]:
    rows = StockBalance.objects.values("item_id").annotate(total=Sum("on_hand"))
    if items is not None:
        rows = rows.filter(item__in=items)
    return {row["item_id"]: row["total"] for row in rows.order_by()}


def on_order() -> dict[int, Decimal]:
    """Quantity ordered and not yet received, per item, over open orders."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    lines = PurchaseOrderLine.objects.filter(order__status__in=OPEN_ORDER_STATUSES)
    for item_id, quantity, received in lines.values_list("item_id", "quantity", "received"):
        totals[item_id] += quantity - received
    return dict(totals)


@transaction.atomic
def propose_purchase_orders(
    *, actor: User, location: Location, now: dt.datetime
) -> list[PurchaseOrder]:
    """Low stock, one click: a draft order per preferred supplier with, for every active item
    at or below its reorder point, what brings it to its target level (counting what is
    already on order)."""
    _require_staff(actor)
    totals = item_totals()
    ordered = on_order()
    by_supplier: dict[int, list[tuple[StockItem, Decimal]]] = defaultdict(list)
    items = StockItem.objects.filter(is_active=True, preferred_supplier__isnull=False)
    for item in items.order_by("sku"):
        available = totals.get(item.pk, ZERO) + ordered.get(item.pk, ZERO)
        if totals.get(item.pk, ZERO) > item.reorder_point or available > item.reorder_point:
            continue
        wanted = item.target_level - available
        if item.serialised or item.unit == "pza":
            wanted = wanted.to_integral_value(rounding="ROUND_CEILING")
        if wanted > 0:
            by_supplier[item.preferred_supplier_id].append((item, wanted))  # type: ignore[index]
    orders = []
    for supplier_id, wanted_items in sorted(by_supplier.items()):
        order = PurchaseOrder.objects.create(
            supplier_id=supplier_id, location=location, created_by=actor, created_at=now
        )
        PurchaseOrderLine.objects.bulk_create(
            [
                PurchaseOrderLine(
                    order=order, item=item, quantity=quantity, unit_cost=last_inbound_cost(item)
                )
                for item, quantity in wanted_items
            ]
        )
        orders.append(order)
    return orders


@transaction.atomic
def place_order(*, order: PurchaseOrder, actor: User, now: dt.datetime) -> PurchaseOrder:
    _require_staff(actor)
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != OrderStatus.DRAFT:
        raise StockError(_("Solo se pide una orden en borrador."), code="order_not_draft")
    if not order.lines.exists():
        raise StockError(_("La orden no tiene renglones."), code="no_lines")
    PurchaseOrder.objects.filter(pk=order.pk).update(status=OrderStatus.ORDERED, ordered_at=now)
    order.refresh_from_db()
    return order


@transaction.atomic
def cancel_order(*, order: PurchaseOrder, actor: User) -> PurchaseOrder:
    _require_staff(actor)
    order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
    if order.status not in (OrderStatus.DRAFT, OrderStatus.ORDERED):
        raise StockError(
            _("Una orden ya recibida, en todo o en parte, no se cancela."), code="order_closed"
        )
    PurchaseOrder.objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    order.refresh_from_db()
    return order


@dataclass
class OrderReceipt:
    line: PurchaseOrderLine
    quantity: Decimal
    serials: Sequence[str] = ()
    unit_cost: Decimal | None = None


@transaction.atomic
def receive_purchase_order(
    *,
    order: PurchaseOrder,
    actor: User,
    lines: Sequence[OrderReceipt],
    invoice_number: str,
    now: dt.datetime,
    document: Document | None = None,
    notes: str = "",
) -> StockReceipt:
    """Receive all or part of an order: the intake is posted (with its bitácora entry), each
    line's received quantity grows, and the order is partial or received."""
    _require_staff(actor)
    order = (
        PurchaseOrder.objects.select_for_update()
        .select_related("supplier", "location")
        .get(pk=order.pk)
    )
    if order.status not in (OrderStatus.ORDERED, OrderStatus.PARTIAL):
        raise StockError(
            _("Solo se recibe una orden pedida y aún no recibida por completo."),
            code="order_not_receivable",
        )
    receipt_lines = []
    for wanted in lines:
        line = (
            PurchaseOrderLine.objects.select_for_update()
            .select_related("item")
            .get(pk=wanted.line.pk, order=order)
        )
        quantity = parse_quantity(wanted.quantity, item=line.item)
        if quantity > line.pending:
            raise StockError(
                _("De %(item)s quedan %(pending)s por recibir; no se reciben %(quantity)s.")
                % {"item": line.item, "pending": _fmt(line.pending), "quantity": _fmt(quantity)},
                code="over_receipt",
            )
        receipt_lines.append(
            ReceiptLine(
                item=line.item,
                quantity=quantity,
                unit_cost=wanted.unit_cost if wanted.unit_cost is not None else line.unit_cost,
                serials=wanted.serials,
                order_line=line,
            )
        )
        PurchaseOrderLine.objects.filter(pk=line.pk).update(received=line.received + quantity)
    receipt = receive_stock(
        actor=actor,
        supplier=order.supplier,
        location=order.location,
        invoice_number=invoice_number,
        lines=receipt_lines,
        document=document,
        notes=notes,
        purchase_order=order,
        now=now,
    )
    complete = not any(line.pending > 0 for line in order.lines.all())
    PurchaseOrder.objects.filter(pk=order.pk).update(
        status=OrderStatus.RECEIVED if complete else OrderStatus.PARTIAL
    )
    return receipt


# --- the desk's valuation -----------------------------------------------------------------


def effective_method(item: StockItem, rules: InventorySettings | None = None) -> str:
    return item.cost_method or (rules or InventorySettings.current()).default_cost_method


def method_label(method: str) -> str:
    return str(CostMethod(method).label)


@transaction.atomic
def save_item(*, actor: User, item: StockItem, now: dt.datetime) -> StockItem:
    """Create or change a stock item (its movements are never touched)."""
    _require_staff(actor)
    item.sku = item.sku.strip().upper()
    item.name = " ".join(item.name.split())
    item.brand = " ".join(item.brand.split())
    item.barcode = item.barcode.strip()
    if item.pk is None:
        item.created_at = now
    elif (
        item.serialised != StockItem.objects.get(pk=item.pk).serialised and item.movements.exists()
    ):
        raise StockError(
            _("El artículo ya tiene movimientos: no cambia si lleva número de serie."),
            code="serialised_fixed",
        )
    item.save()
    return item
