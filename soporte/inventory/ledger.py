"""The valuation engine of the stock ledger: exact to the cent, both cost methods at once.

Every bucket (one item at one location) is valued two ways, moving average and FIFO ("PEPS"),
and every movement records the change of the bucket's value under each (`value_avg`,
`value_fifo`), so any stock value is a plain SUM of the ledger and the desk can read either
method (the item's own, or the desk's default) without revaluing history.

Rules, all in posting order (the movement's id):
- An inbound movement at a known cost adds `round(quantity × unit cost, 2)` under both methods.
- An outbound movement under moving average takes `round(value × q / on_hand, 2)`, or the
  whole value when it empties the bucket (no cent is ever stranded at zero quantity).
- Under FIFO it consumes the oldest layers first, each proportionally, a layer's last units
  taking exactly what is left of its value.
- With negative stock allowed, what leaves beyond the stock is valued at the last known unit
  cost and kept as a negative position; the next inbound first covers it at that rate.
Money rounds half up. Quantities have three decimals, money two, unit costs four.

These are pure functions over in-memory state: `services` loads a bucket's state under its
row lock and stores the result; `replay` runs the same rules over the raw ledger to rebuild
(or check) every balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
COST_QUANTUM = Decimal("0.0001")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def unit_cost(value: Decimal) -> Decimal:
    return value.quantize(COST_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass
class Layer:
    """What is left of one inbound movement (FIFO). `remaining` < 0 only for the negative
    position."""

    source_id: int
    remaining: Decimal
    remaining_value: Decimal

    @property
    def rate(self) -> Decimal:
        return self.remaining_value / self.remaining if self.remaining else ZERO


@dataclass
class Bucket:
    """One item at one location: on-hand, value under each method, FIFO layers oldest first."""

    on_hand: Decimal = ZERO
    value_avg: Decimal = ZERO
    value_fifo: Decimal = ZERO
    layers: list[Layer] = field(default_factory=list)
    # Layers changed or emptied by the last operation, for the caller to store.
    touched: set[int] = field(default_factory=set)

    def check(self) -> None:
        assert self.value_fifo == sum((layer.remaining_value for layer in self.layers), ZERO)
        assert self.on_hand == sum((layer.remaining for layer in self.layers), ZERO)

    @property
    def average_rate(self) -> Decimal | None:
        """The moving-average unit cost, when there is stock to average."""
        if self.on_hand > 0:
            return self.value_avg / self.on_hand
        return None


@dataclass(frozen=True)
class Change:
    """What one movement did to its bucket."""

    quantity: Decimal
    value_avg: Decimal
    value_fifo: Decimal


def _share(value: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`part` of `whole` units worth `value`, to the cent; all of it when part == whole."""
    if part == whole:
        return value
    return cents(value * part / whole)


def _cover_negative(
    quantity: Decimal, value: Decimal, negative_qty: Decimal, negative_value: Decimal
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """An inbound of `quantity` worth `value` meets a negative position (qty < 0).

    The covered units cancel the position at its own rate; the rest keeps the inbound's cost.
    Returns (units covered, value of the position cleared, units left, their value).
    """
    covered = min(quantity, -negative_qty)
    cleared = _share(-negative_value, covered, -negative_qty)
    rest_qty = quantity - covered
    rest_value = value - _share(value, covered, quantity) if rest_qty else ZERO
    return covered, cleared, rest_qty, rest_value


def inbound(
    bucket: Bucket, *, source_id: int, quantity: Decimal, value_avg: Decimal, value_fifo: Decimal
) -> Change:
    """Stock arrives: `value_*` is what it is worth under each method (usually the same)."""
    assert quantity > 0
    bucket.touched = set()
    # Moving average: the bucket itself is the position.
    avg_change = value_avg
    if bucket.on_hand < 0:
        _covered, cleared, _rest, rest_value = _cover_negative(
            quantity, value_avg, bucket.on_hand, bucket.value_avg
        )
        avg_change = cleared + rest_value
    # FIFO: a negative layer, if any, is the only layer.
    fifo_change = value_fifo
    rest_qty, rest_value = quantity, value_fifo
    if bucket.layers and bucket.layers[0].remaining < 0:
        negative = bucket.layers[0]
        covered, cleared, rest_qty, rest_value = _cover_negative(
            quantity, value_fifo, negative.remaining, negative.remaining_value
        )
        negative.remaining += covered
        negative.remaining_value += cleared
        fifo_change = cleared + rest_value
        bucket.touched.add(negative.source_id)
        if negative.remaining == 0:
            bucket.layers.pop(0)
    if rest_qty > 0:
        bucket.layers.append(Layer(source_id, rest_qty, rest_value))
        bucket.touched.add(source_id)
    bucket.on_hand += quantity
    bucket.value_avg += avg_change
    bucket.value_fifo += fifo_change
    return Change(quantity, avg_change, fifo_change)


def outbound(
    bucket: Bucket,
    *,
    source_id: int,
    quantity: Decimal,
    fallback_rate: Decimal,
    prefer_layer: int | None = None,
) -> Change:
    """Stock leaves (`quantity` > 0 units). The caller has already refused negative stock
    when the desk does not allow it; beyond the stock, units are valued at the rate of the
    last stock that left (or `fallback_rate`, the item's last inbound unit cost).

    `prefer_layer`: a reversal of an inbound movement takes that movement's own layer first.
    """
    assert quantity > 0
    bucket.touched = set()
    # Moving average.
    if bucket.on_hand >= quantity:
        avg_change = -_share(bucket.value_avg, quantity, bucket.on_hand)
    elif bucket.on_hand > 0:
        rate = bucket.value_avg / bucket.on_hand
        avg_change = -bucket.value_avg - cents(rate * (quantity - bucket.on_hand))
    elif bucket.on_hand < 0:
        avg_change = -cents(bucket.value_avg / bucket.on_hand * quantity)
    else:
        avg_change = -cents(fallback_rate * quantity)
    # FIFO.
    needed = quantity
    fifo_change = ZERO
    last_rate = fallback_rate
    order = list(bucket.layers)
    if prefer_layer is not None:
        order.sort(key=lambda layer: layer.source_id != prefer_layer)
    for layer in order:
        if needed == 0 or layer.remaining <= 0:
            break
        take = min(needed, layer.remaining)
        last_rate = layer.rate
        taken_value = _share(layer.remaining_value, take, layer.remaining)
        layer.remaining -= take
        layer.remaining_value -= taken_value
        fifo_change -= taken_value
        needed -= take
        bucket.touched.add(layer.source_id)
    bucket.layers = [layer for layer in bucket.layers if layer.remaining != 0]
    if needed > 0:
        if bucket.layers and bucket.layers[0].remaining < 0:
            negative = bucket.layers[0]
            extra = cents(negative.rate * needed)
            negative.remaining -= needed
            negative.remaining_value -= extra
        else:
            extra = cents(last_rate * needed)
            bucket.layers = [Layer(source_id, -needed, -extra)]
        bucket.touched.add(bucket.layers[0].source_id)
        fifo_change -= extra
    bucket.on_hand -= quantity
    bucket.value_avg += avg_change
    bucket.value_fifo += fifo_change
    return Change(-quantity, avg_change, fifo_change)


def inbound_values(bucket: Bucket, quantity: Decimal, cost: Decimal) -> tuple[Decimal, Decimal]:
    """An inbound at a known unit cost is worth the same under both methods."""
    value = cents(quantity * cost)
    return value, value


def current_rate(bucket: Bucket, fallback_rate: Decimal) -> Decimal:
    """The unit cost to give stock that arrives without one (a count's surplus, a customer's
    return): the moving average now, else the item's last inbound cost."""
    rate = bucket.average_rate
    return unit_cost(rate) if rate is not None else fallback_rate
