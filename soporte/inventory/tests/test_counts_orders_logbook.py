"""Counts approved into adjustments and one signed entry; orders received in two parts;
every intake signed in the desk's bitácora by whoever received it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from soporte.inventory import reads, services
from soporte.inventory.models import (
    CountStatus,
    MovementKind,
    OrderStatus,
    StockBalance,
    StockItem,
)
from soporte.inventory.tests.conftest import receive
from soporte.lib.errors import Forbidden
from soporte.logbook.models import Entry, EntryKind, LogbookKind

D = Decimal


def test_intake_writes_one_signed_entry_by_the_receiver(personas, now, supplier, shelf, ram, ssd):
    receipt = receive(
        personas.agent,
        supplier,
        shelf,
        now,
        (ram, 4, "350.00"),
        (ssd, 1, "720.50", ["SN-1"]),
        invoice="FAC-7781",
        document=services.Document("factura 7781.pdf", b"%PDF-1.4 factura", "application/pdf"),
    )
    entry = receipt.entry
    assert entry.logbook.kind == LogbookKind.DESK and entry.kind == EntryKind.MANUAL
    assert entry.author_id == personas.agent.pk
    assert [s.signer_id for s in entry.signatures.all()] == [personas.agent.pk]
    assert entry.fields["invoice"] == "FAC-7781"
    assert entry.fields["total"] == "$2120.50"
    assert entry.fields["document_sha256"] == receipt.document_sha256
    assert "SN-1" in entry.fields["observations"]
    assert services.document_path(receipt.document_key).read_bytes() == b"%PDF-1.4 factura"


def test_a_failed_intake_writes_neither_stock_nor_entry(personas, now, supplier, shelf, ram, ssd):
    before = Entry.objects.count()
    with pytest.raises(services.StockError):
        receive(personas.agent, supplier, shelf, now, (ram, 4, "350"), (ssd, 2, "700", ["X"]))
    assert Entry.objects.count() == before
    assert not StockBalance.objects.filter(item=ram).exists()


def test_count_with_differences_is_approved_into_adjustments_and_one_entry(
    personas, now, supplier, shelf, ram, ssd
):
    toner = StockItem.objects.create(sku="TON-05A", name="Tóner 05A", created_at=now)
    receive(personas.agent, supplier, shelf, now, (ram, 10, "300"), (toner, 4, "900"))
    receive(personas.agent, supplier, shelf, now, (ssd, 2, "700", ["A1", "A2"]), invoice="F-2")
    count = services.start_count(actor=personas.agent, location=shelf, now=now)
    services.record_count(
        count=count, actor=personas.agent, counted={ram: D(8), toner: D(5), ssd: D(2)}
    )
    services.submit_count(count=count, actor=personas.agent, now=now)
    differences = {d.line.item.sku: d.difference for d in services.count_differences(count)}
    assert differences == {"RAM-DDR4-8": D(-2), "TON-05A": D(1), "SSD-480": D(0)}

    with pytest.raises(Forbidden):
        services.approve_count(count=count, actor=personas.agent, now=now)
    entries_before = Entry.objects.count()
    approved = services.approve_count(
        count=count, actor=personas.supervisor, now=now + dt.timedelta(hours=2)
    )
    assert approved.status == CountStatus.APPROVED
    adjustments = approved.movements.order_by("item__sku")
    assert [(m.item.sku, m.quantity, m.value) for m in adjustments] == [
        ("RAM-DDR4-8", D(-2), D("-600")),
        ("TON-05A", D(1), D("900")),
    ]
    assert all(m.kind == MovementKind.ADJUSTMENT and m.reason for m in adjustments)
    assert Entry.objects.count() == entries_before + 1
    entry = approved.entry
    assert entry.author_id == personas.supervisor.pk
    assert entry.signatures.get().signer_id == personas.supervisor.pk
    assert "RAM-DDR4-8" in entry.fields["observations"]
    assert entry.fields["value_change"] == "300.00"
    assert StockBalance.objects.get(item=ram, location=shelf).on_hand == D(8)
    with pytest.raises(services.StockError):
        services.approve_count(count=count, actor=personas.supervisor, now=now)
    assert reads.balance_mismatches() == []


def test_low_stock_proposes_an_order_received_in_two_parts(
    personas, now, supplier, shelf, ram, ssd
):
    receive(personas.agent, supplier, shelf, now, (ram, 3, "310"))  # reorder point 5, target 20
    [order] = services.propose_purchase_orders(actor=personas.agent, location=shelf, now=now)
    lines = {line.item.sku: line for line in order.lines.select_related("item")}
    assert order.status == OrderStatus.DRAFT and order.supplier == supplier
    assert lines["RAM-DDR4-8"].quantity == D(17)  # 20 − 3
    assert lines["RAM-DDR4-8"].unit_cost == D(310)
    assert lines["SSD-480"].quantity == D(6)
    # Proposed twice: what is on order counts, nothing is ordered again.
    assert services.propose_purchase_orders(actor=personas.agent, location=shelf, now=now) == []

    services.place_order(order=order, actor=personas.agent, now=now)
    first = services.receive_purchase_order(
        order=order,
        actor=personas.agent,
        invoice_number="F-501",
        lines=[
            services.OrderReceipt(lines["RAM-DDR4-8"], D(10)),
            services.OrderReceipt(lines["SSD-480"], D(2), serials=["K1", "K2"]),
        ],
        now=now,
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIAL
    with pytest.raises(services.StockError) as over:
        services.receive_purchase_order(
            order=order,
            actor=personas.agent,
            invoice_number="F-502",
            lines=[services.OrderReceipt(lines["RAM-DDR4-8"], D(8))],
            now=now,
        )
    assert over.value.code == "over_receipt"
    second = services.receive_purchase_order(
        order=order,
        actor=personas.agent,
        invoice_number="F-502",
        lines=[
            services.OrderReceipt(lines["RAM-DDR4-8"], D(7)),
            services.OrderReceipt(lines["SSD-480"], D(4), serials=["K3", "K4", "K5", "K6"]),
        ],
        now=now + dt.timedelta(days=3),
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED
    assert {r.pk for r in order.receipts.all()} == {first.pk, second.pk}
    assert StockBalance.objects.get(item=ram, location=shelf).on_hand == D(20)
    assert StockBalance.objects.get(item=ssd, location=shelf).on_hand == D(6)
    assert first.entry.fields["purchase_order"] == str(order)
    assert reads.balance_mismatches() == []
