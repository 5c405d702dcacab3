"""FIFO and moving-average values are exact to the cent against a hand-computed ledger."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from soporte.inventory import reads, services
from soporte.inventory.models import MovementKind, StockBalance
from soporte.inventory.tests.conftest import receive

D = Decimal


def test_hand_computed_ledger_both_methods(personas, now, supplier, shelf, ram):
    """The ledger, computed by hand (money rounds half up at every movement):

    | # | movement                | avg: value change → stock value | FIFO: value change → layers             |
    |---|-------------------------|---------------------------------|-----------------------------------------|
    | 1 | receipt 10 × 12.3456    | +123.46 → 10 u, 123.46          | +123.46 → [10: 123.46]                  |
    | 2 | receipt 5 × 13.10       | +65.50 → 15 u, 188.96           | +65.50 → [10: 123.46, 5: 65.50]         |
    | 3 | issue 4 (partial)       | −188.96×4/15 = −50.39 → 138.57  | −123.46×4/10 = −49.38 → [6: 74.08, 5]   |
    | 4 | issue 7                 | −138.57×7/11 = −88.18 → 50.39   | −74.08 −13.10 = −87.18 → [4: 52.40]     |
    | 5 | customer return 2       | at 50.39/4 = 12.5975: +25.20    | +25.20 → [4: 52.40, 2: 25.20]           |
    | 6 | adjustment −1 (count)   | −75.59×1/6 = −12.60 → 62.99     | −52.40/4 = −13.10 → [3: 39.30, 2: 25.20]|

    Final: 5 units; moving average 62.99, FIFO 64.50.
    """
    agent = personas.agent
    receive(agent, supplier, shelf, now, (ram, 10, "12.3456"), invoice="F-1")
    receive(agent, supplier, shelf, now, (ram, 5, "13.10"), invoice="F-2")
    third = services.issue_stock(actor=agent, item=ram, location=shelf, quantity=D(4), now=now)
    fourth = services.issue_stock(actor=agent, item=ram, location=shelf, quantity=D(7), now=now)
    fifth = services.return_from_customer(
        actor=agent, item=ram, location=shelf, quantity=D(2), organisation=personas.org_a, now=now
    )
    count = services.start_count(actor=agent, location=shelf, now=now)
    services.record_count(count=count, actor=agent, counted={ram: D(5)})
    services.submit_count(count=count, actor=agent, now=now)
    services.approve_count(count=count, actor=personas.supervisor, now=now + dt.timedelta(hours=1))
    sixth = ram.movements.get(kind=MovementKind.ADJUSTMENT)

    assert (third.value_avg, third.value_fifo) == (D("-50.39"), D("-49.38"))
    assert (fourth.value_avg, fourth.value_fifo) == (D("-88.18"), D("-87.18"))
    assert fifth.unit_cost == D("12.5975")
    assert (fifth.value_avg, fifth.value_fifo) == (D("25.20"), D("25.20"))
    assert (sixth.quantity, sixth.value_avg, sixth.value_fifo) == (D(-1), D("-12.60"), D("-13.10"))

    balance = StockBalance.objects.get(item=ram, location=shelf)
    assert (balance.on_hand, balance.value_avg, balance.value_fifo) == (
        D(5),
        D("62.99"),
        D("64.50"),
    )
    level = reads.levels_by_item()[ram.pk]
    assert (level.on_hand, level.value_avg, level.value_fifo) == (D(5), D("62.99"), D("64.50"))
    assert reads.balance_mismatches() == []


def test_emptying_a_bucket_leaves_no_stray_cent(personas, now, supplier, shelf, ram):
    """3 × 10.00 at average: thirds of 30.00 round to 10.00 each; the last issue takes what is
    left, so zero units are worth exactly zero under both methods."""
    receive(personas.agent, supplier, shelf, now, (ram, 1, "10.00"), (ram, 1, "10.01"))
    receive(personas.agent, supplier, shelf, now, (ram, 1, "9.99"), invoice="F-2")
    for _ in range(3):
        services.issue_stock(actor=personas.agent, item=ram, location=shelf, quantity=D(1), now=now)
    balance = StockBalance.objects.get(item=ram, location=shelf)
    assert (balance.on_hand, balance.value_avg, balance.value_fifo) == (D(0), D(0), D(0))
    assert reads.balance_mismatches() == []
