"""Hundreds of random movements, posted one by one and in batches, against a reference
valuation written here from the textbook rules (no shared code with `ledger`): every
movement's value under both methods, every balance, and the raw SUM of the ledger agree."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

from soporte.inventory import reads, services
from soporte.inventory.models import StockBalance, StockItem
from soporte.inventory.tests.conftest import receive

D = Decimal


def r2(value):
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


class Reference:
    """Moving average and FIFO for one bucket, stock never negative."""

    def __init__(self):
        self.q, self.v = D(0), D(0)
        self.layers = []  # [qty, value]

    def receive(self, q, value_avg, value_fifo):
        self.q += q
        self.v += value_avg
        self.layers.append([q, value_fifo])
        return value_avg, value_fifo

    def issue(self, q):
        avg = self.v if q == self.q else r2(self.v * q / self.q)
        self.q -= q
        self.v -= avg
        fifo, need = D(0), q
        while need:
            layer = self.layers[0]
            take = min(need, layer[0])
            part = layer[1] if take == layer[0] else r2(layer[1] * take / layer[0])
            layer[0] -= take
            layer[1] -= part
            fifo += part
            need -= take
            if layer[0] == 0:
                self.layers.pop(0)
        return -avg, -fifo

    @property
    def fifo_value(self):
        return sum((v for _q, v in self.layers), D(0))


def test_random_ledger_matches_the_reference(personas, now, supplier, shelf, van):
    rng = random.Random(7)
    items = [
        StockItem.objects.create(sku=f"P-{n}", name=f"Pieza {n}", created_at=now) for n in range(3)
    ]
    refs = {(i.pk, loc.pk): Reference() for i in items for loc in (shelf, van)}
    for step in range(300):
        item = rng.choice(items)
        roll = rng.random()
        if roll < 0.35:
            lines = []
            for _ in range(rng.randint(1, 3)):
                it = rng.choice(items)
                lines.append(
                    (
                        it,
                        D(rng.randint(1, 9)) + D(rng.randint(0, 999)) / 1000,
                        D(rng.randint(100, 99999)) / 100,
                    )
                )
            receipt = receive(personas.agent, supplier, shelf, now, *lines, invoice=f"F-{step}")
            for (it, q, cost), movement in zip(
                lines, receipt.movements.order_by("id"), strict=True
            ):
                value = r2(q * cost)
                expected = refs[(it.pk, shelf.pk)].receive(q, value, value)
                assert (movement.value_avg, movement.value_fifo) == expected, step
            continue
        ref = refs[(item.pk, shelf.pk)]
        if ref.q == 0:
            continue
        q = min(ref.q, D(rng.randint(1, 6)))
        if roll < 0.8:
            movement = services.issue_stock(
                actor=personas.agent, item=item, location=shelf, quantity=q, now=now
            )
            assert (movement.value_avg, movement.value_fifo) == ref.issue(q), step
        else:
            out, _into = services.transfer_stock(
                actor=personas.agent,
                item=item,
                from_location=shelf,
                to_location=van,
                quantity=q,
                now=now,
            )
            expected = ref.issue(q)
            assert (out.value_avg, out.value_fifo) == expected, step
            refs[(item.pk, van.pk)].receive(q, -expected[0], -expected[1])
    for (item_id, location_id), ref in refs.items():
        balance = StockBalance.objects.filter(item_id=item_id, location_id=location_id).first()
        if balance is None:
            assert ref.q == 0
            continue
        assert (balance.on_hand, balance.value_avg, balance.value_fifo) == (
            ref.q,
            ref.v,
            ref.fifo_value,
        )
    assert reads.balance_mismatches() == []
