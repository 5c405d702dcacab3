"""The ledger's rules: negative stock, reversals, transfers, serial numbers, append-only rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from soporte.inventory import reads, services
from soporte.inventory.models import (
    InventorySettings,
    MovementKind,
    StockBalance,
    StockMovement,
    StockSerial,
)
from soporte.inventory.tests.conftest import receive
from soporte.lib.errors import Forbidden

D = Decimal


def test_negative_stock_is_refused_with_nothing_written(personas, now, supplier, shelf, ram):
    receive(personas.agent, supplier, shelf, now, (ram, 3, "100"))
    before = StockMovement.objects.count()
    with pytest.raises(services.StockError) as refused:
        services.issue_stock(actor=personas.agent, item=ram, location=shelf, quantity=D(4), now=now)
    assert refused.value.code == "negative_stock"
    assert refused.value.details["on_hand"] == "3.000"
    assert "No hay existencia suficiente" in str(refused.value)
    assert StockMovement.objects.count() == before
    assert StockBalance.objects.get(item=ram, location=shelf).on_hand == D(3)


def test_negative_stock_when_the_desk_allows_it_is_covered_by_the_next_receipt(
    personas, now, supplier, shelf, ram
):
    InventorySettings.objects.update_or_create(pk=1, defaults={"allow_negative_stock": True})
    receive(personas.agent, supplier, shelf, now, (ram, 2, "10"))
    out = services.issue_stock(
        actor=personas.agent, item=ram, location=shelf, quantity=D(5), now=now
    )
    # 2 units at 10.00, 3 more beyond the stock at the last rate (10.00).
    assert (out.value_avg, out.value_fifo, out.on_hand_after) == (D("-50"), D("-50"), D(-3))
    back = receive(personas.agent, supplier, shelf, now, (ram, 4, "12"), invoice="F-2")
    movement = back.movements.get()
    # 3 units cancel the position at its rate (30.00); 1 unit stays at its cost (12.00).
    assert (movement.value_avg, movement.value_fifo) == (D("42"), D("42"))
    balance = StockBalance.objects.get(item=ram, location=shelf)
    assert (balance.on_hand, balance.value_avg, balance.value_fifo) == (D(1), D(12), D(12))
    assert reads.balance_mismatches() == []


def test_a_wrong_issue_is_corrected_by_a_reversing_movement(personas, now, supplier, shelf, ram):
    receive(personas.agent, supplier, shelf, now, (ram, 10, "10"), invoice="F-1")
    receive(personas.agent, supplier, shelf, now, (ram, 10, "14"), invoice="F-2")
    wrong = services.issue_stock(
        actor=personas.agent, item=ram, location=shelf, quantity=D(12), reference="R-1", now=now
    )
    [reversal] = services.reverse_movement(
        actor=personas.agent, movement=wrong, reason="Se capturó 12 en vez de 2", now=now
    )
    assert reversal.kind == MovementKind.REVERSAL and reversal.reverses_id == wrong.pk
    assert reversal.quantity == D(12)
    assert (reversal.value_avg, reversal.value_fifo) == (-wrong.value_avg, -wrong.value_fifo)
    balance = StockBalance.objects.get(item=ram, location=shelf)
    assert (balance.on_hand, balance.value_avg) == (D(20), D(240))
    # FIFO: the value that left (10 × 10 + 2 × 14 = 128) came back, so the total is whole.
    assert balance.value_fifo == D(240)
    wrong.refresh_from_db()
    assert wrong.quantity == D(-12)  # the original row is untouched
    with pytest.raises(services.StockError) as twice:
        services.reverse_movement(actor=personas.agent, movement=wrong, reason="otra vez", now=now)
    assert twice.value.code == "already_reversed"
    with pytest.raises(services.StockError) as of_reversal:
        services.reverse_movement(actor=personas.agent, movement=reversal, reason="x", now=now)
    assert of_reversal.value.code == "reversal_of_reversal"
    assert reads.balance_mismatches() == []


def test_reversing_a_receipt_takes_its_own_fifo_layer(personas, now, supplier, shelf, ram):
    receive(personas.agent, supplier, shelf, now, (ram, 5, "10"), invoice="F-1")
    wrong = receive(personas.agent, supplier, shelf, now, (ram, 5, "99"), invoice="F-2")
    services.reverse_movement(
        actor=personas.agent, movement=wrong.movements.get(), reason="Factura duplicada", now=now
    )
    balance = StockBalance.objects.get(item=ram, location=shelf)
    assert (balance.on_hand, balance.value_fifo) == (D(5), D(50))
    assert reads.balance_mismatches() == []


def test_a_transfer_moves_value_and_is_reversed_by_both_legs(
    personas, now, supplier, shelf, van, ram
):
    receive(personas.agent, supplier, shelf, now, (ram, 3, "10"), (ram, 3, "11"))
    out, into = services.transfer_stock(
        actor=personas.agent, item=ram, from_location=shelf, to_location=van, quantity=D(4), now=now
    )
    assert into.transfer_from_id == out.pk
    assert (into.value_avg, into.value_fifo) == (D("42"), D("41"))
    total = reads.levels_by_item()[ram.pk]
    assert (total.on_hand, total.value_avg, total.value_fifo) == (D(6), D(63), D(63))
    reversals = services.reverse_movement(
        actor=personas.agent, movement=out, reason="Camioneta equivocada", now=now
    )
    assert len(reversals) == 2
    assert StockBalance.objects.get(item=ram, location=van).on_hand == 0
    assert reads.levels_by_item()[ram.pk].value_fifo == D(63)
    assert reads.balance_mismatches() == []


def test_serials_are_captured_at_receipt_and_unique_per_brand(personas, now, supplier, shelf, ssd):
    with pytest.raises(services.StockError) as missing:
        receive(personas.agent, supplier, shelf, now, (ssd, 2, "700", ["S1"]))
    assert missing.value.code == "serials_required"
    receipt = receive(personas.agent, supplier, shelf, now, (ssd, 2, "700", ["ab 12", "AB13"]))
    assert sorted(StockSerial.objects.values_list("serial", flat=True)) == ["AB12", "AB13"]
    assert set(receipt.movements.get().serials.values_list("serial__serial", flat=True)) == {
        "AB12",
        "AB13",
    }
    with pytest.raises(services.StockError) as repeated:
        receive(personas.agent, supplier, shelf, now, (ssd, 1, "700", ["ab12"]), invoice="F-2")
    assert repeated.value.code == "serial_exists"
    # The database backs the rule, whatever the brand's capitalisation.
    with pytest.raises(IntegrityError), transaction.atomic():
        StockSerial.objects.create(
            item=ssd, brand="KINGSTON", serial="AB12", received_by_movement=receipt.movements.get()
        )
    # Another brand may use the same serial.
    other = ssd.__class__.objects.create(
        sku="SSD-WD", name="SSD WD", brand="Western Digital", serialised=True, created_at=now
    )
    receive(personas.agent, supplier, shelf, now, (other, 1, "650", ["AB12"]), invoice="F-3")
    # Issuing a serialised piece names it; a piece not on the shelf is refused.
    with pytest.raises(services.StockError) as not_here:
        services.issue_stock(
            actor=personas.agent, item=ssd, location=shelf, quantity=D(1), serials=["ZZ9"], now=now
        )
    assert not_here.value.code == "serial_not_here"
    services.issue_stock(
        actor=personas.agent, item=ssd, location=shelf, quantity=D(1), serials=["ab12"], now=now
    )
    assert StockSerial.objects.get(item=ssd, serial="AB12").location is None


def test_movements_are_append_only_in_the_database(personas, now, supplier, shelf, ram):
    receipt = receive(personas.agent, supplier, shelf, now, (ram, 1, "10"))
    movement = receipt.movements.get()
    for statement in (
        "UPDATE inventory_stockmovement SET quantity = 5000 WHERE id = %s",
        "DELETE FROM inventory_stockmovement WHERE id = %s",
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [movement.pk])
    movement.refresh_from_db()
    assert movement.quantity == D(1)


def test_customers_cannot_move_stock(personas, now, supplier, shelf, ram):
    with pytest.raises(Forbidden):
        receive(personas.customer_a, supplier, shelf, now, (ram, 1, "10"))
