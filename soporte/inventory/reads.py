"""Reads of the stock: levels and values per item and location, flags, the content logbook.

The stock of every item is one grouped scan of `StockBalance` (a row per item and location,
kept in each movement's transaction). `ledger_totals` computes the same figures from the raw
ledger (SUM over every movement) and `balance_mismatches` compares the two: the tests run it
after every scenario, and `soporte inventory check` runs it on a live database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import QuerySet, Sum

from soporte.inventory.fields import scaled
from soporte.inventory.models import (
    MONEY_PLACES,
    QTY_PLACES,
    ZERO,
    CostMethod,
    InventorySettings,
    StockBalance,
    StockItem,
    StockLayer,
    StockMovement,
    StockTotal,
)


@dataclass(frozen=True)
class Level:
    """One item's stock (at one location, or over all of them)."""

    item_id: int
    location_id: int | None
    on_hand: Decimal
    value_avg: Decimal
    value_fifo: Decimal
    last_movement_at: dt.datetime | None = None

    def value(self, method: str) -> Decimal:
        return self.value_fifo if method == CostMethod.FIFO else self.value_avg


def levels_by_item(item_ids: Iterable[int] | None = None) -> dict[int, Level]:
    """On-hand and value (both methods) of every item over all locations: one row per item
    from the kept totals."""
    sql = (
        "SELECT item_id, on_hand, value_avg, value_fifo, last_movement_at "  # noqa: S608
        f"FROM {StockTotal._meta.db_table}"
    )
    params: list[int] = []
    if item_ids is not None:
        ids = [int(i) for i in item_ids]
        if not ids:
            return {}
        sql += f" WHERE item_id IN ({', '.join(['%s'] * len(ids))})"
        params = ids
    at = StockTotal._meta.get_field("last_movement_at")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = connection.ops.get_db_converters(at.get_col(StockTotal._meta.db_table))
    result = {}
    for item, q, va, vf, last in rows:
        for converter in converters:
            last = converter(last, at, connection)
        result[item] = Level(
            item,
            None,
            Decimal(q).scaleb(-QTY_PLACES),
            Decimal(va).scaleb(-MONEY_PLACES),
            Decimal(vf).scaleb(-MONEY_PLACES),
            last,
        )
    return result


def levels_by_location(
    *, item_id: int | None = None, location_id: int | None = None
) -> list[Level]:
    rows = StockBalance.objects.all()
    if item_id is not None:
        rows = rows.filter(item_id=item_id)
    if location_id is not None:
        rows = rows.filter(location_id=location_id)
    return [
        Level(item, location, q, va, vf, last)
        for item, location, q, va, vf, last in rows.order_by("item_id", "location_id").values_list(
            "item_id", "location_id", "on_hand", "value_avg", "value_fifo", "last_movement_at"
        )
    ]


class ItemValue(NamedTuple):
    on_hand: Decimal
    value: Decimal  # under the item's own cost method, or the desk's
    value_avg: Decimal
    value_fifo: Decimal
    method: str


def stock_values() -> dict[int, ItemValue]:
    """On-hand and value of every item that has stock, under its own method and under both:
    one scan of the kept per-item totals joined to the items (the stock page, its export and
    the API read this; bench/inventory measures it against the raw ledger)."""
    default = InventorySettings.current().default_cost_method
    total = StockTotal._meta.db_table
    item = StockItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.item_id, i.cost_method, t.on_hand, t.value_avg, t.value_fifo "  # noqa: S608
            f"FROM {total} t JOIN {item} i ON i.id = t.item_id"
        )
        rows = cursor.fetchall()
    fifo = CostMethod.FIFO
    result = {}
    for item_id, method, q, va, vf in rows:
        value_avg, value_fifo = Decimal(va).scaleb(-MONEY_PLACES), Decimal(vf).scaleb(-MONEY_PLACES)
        method = method or default
        result[item_id] = ItemValue(
            Decimal(q).scaleb(-QTY_PLACES),
            value_fifo if method == fifo else value_avg,
            value_avg,
            value_fifo,
            method,
        )
    return result


def value_by_item(levels: dict[int, Level], items: Iterable[StockItem]) -> dict[int, Decimal]:
    """Each item's value under its own cost method (or the desk's)."""
    default = InventorySettings.current().default_cost_method
    return {
        item.pk: levels[item.pk].value(item.cost_method or default) if item.pk in levels else ZERO
        for item in items
    }


def ledger_totals() -> dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]]:
    """The raw computation: SUM of every movement per item and location (exact integers)."""
    table = StockMovement._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT item_id, location_id, SUM(quantity), SUM(value_avg), SUM(value_fifo) "  # noqa: S608
            f"FROM {table} GROUP BY item_id, location_id"
        )
        return {
            (item, location): (
                scaled(q, QTY_PLACES),
                scaled(va, MONEY_PLACES),
                scaled(vf, MONEY_PLACES),
            )
            for item, location, q, va, vf in cursor.fetchall()
        }


def balance_mismatches() -> list[str]:
    """Every place where the kept balances differ from the raw ledger (empty when exact)."""
    problems = []
    raw = ledger_totals()
    kept = {
        (b.item_id, b.location_id): (b.on_hand, b.value_avg, b.value_fifo)
        for b in StockBalance.objects.all()
    }
    for key in sorted(set(raw) | set(kept)):
        if raw.get(key, (ZERO, ZERO, ZERO)) != kept.get(key, (ZERO, ZERO, ZERO)):
            problems.append(
                f"item {key[0]} at {key[1]}: ledger {raw.get(key)} kept {kept.get(key)}"
            )
    by_item: dict[int, list[Decimal]] = {}
    for (item_id, _location), values in raw.items():
        sums = by_item.setdefault(item_id, [ZERO, ZERO, ZERO])
        for n in range(3):
            sums[n] += values[n]
    totals = {t.item_id: [t.on_hand, t.value_avg, t.value_fifo] for t in StockTotal.objects.all()}
    for item_id in sorted(set(by_item) | set(totals)):
        if by_item.get(item_id, [ZERO] * 3) != totals.get(item_id, [ZERO] * 3):
            problems.append(
                f"item {item_id}: ledger {by_item.get(item_id)} total {totals.get(item_id)}"
            )
    layers: QuerySet = (
        StockLayer.objects.values("item_id", "location_id")
        .annotate(q=Sum("remaining"), v=Sum("remaining_value"))
        .order_by()
    )
    layered = {(r["item_id"], r["location_id"]): (r["q"], r["v"]) for r in layers}
    for key, (on_hand, _va, value_fifo) in kept.items():
        if layered.get(key, (ZERO, ZERO)) != (on_hand, value_fifo):
            problems.append(
                f"item {key[0]} at {key[1]}: layers {layered.get(key)} kept {(on_hand, value_fifo)}"
            )
    return problems
