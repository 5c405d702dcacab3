"""Fixtures of the inventory tests: a supplier, locations and items, on top of the personas."""

from __future__ import annotations

from decimal import Decimal

import pytest

from soporte.inventory import services
from soporte.inventory.models import (
    CostMethod,
    Location,
    LocationKind,
    StockItem,
    Supplier,
)


@pytest.fixture
def supplier(db):
    return Supplier.objects.create(name="Distribuidora Cómputo del Bajío", tax_id="DCB990101AB1")


@pytest.fixture
def shelf(db):
    return Location.objects.create(code="A-01", name="Estante A-01", kind=LocationKind.SHELF)


@pytest.fixture
def van(db):
    return Location.objects.create(code="VAN-1", name="Camioneta 1", kind=LocationKind.VAN)


@pytest.fixture
def ram(db, now, supplier):
    return StockItem.objects.create(
        sku="RAM-DDR4-8",
        name="Memoria DDR4 8 GB",
        brand="Kingston",
        reorder_point=Decimal("5"),
        target_level=Decimal("20"),
        preferred_supplier=supplier,
        created_at=now,
    )


@pytest.fixture
def ssd(db, now, supplier):
    return StockItem.objects.create(
        sku="SSD-480",
        name="Disco SSD 480 GB",
        brand="Kingston",
        serialised=True,
        cost_method=CostMethod.FIFO,
        reorder_point=Decimal("2"),
        target_level=Decimal("6"),
        preferred_supplier=supplier,
        created_at=now,
    )


def receive(actor, supplier, location, now, *lines, invoice="F-1001", **kwargs):
    """Receive (item, quantity, unit cost[, serials]) lines."""
    return services.receive_stock(
        actor=actor,
        supplier=supplier,
        location=location,
        invoice_number=invoice,
        lines=[
            services.ReceiptLine(
                item=line[0],
                quantity=Decimal(str(line[1])),
                unit_cost=Decimal(str(line[2])),
                serials=line[3] if len(line) > 3 else (),
            )
            for line in lines
        ],
        now=now,
        **kwargs,
    )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Supplier documents are written under MEDIA_ROOT: a fresh one per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
