"""The demo desk has an inventory that respects the ledger's own rules."""

from __future__ import annotations

from collections import Counter

from soporte import demo
from soporte.inventory import reads, services
from soporte.inventory.models import CountStatus, Device, StockCount, StockItem, StockMovement
from soporte.tickets.models import Ticket


def test_demo_inventory(db, now):
    demo.load_demo(now=now)
    per_org = Counter(Device.objects.values_list("organisation_id", flat=True))
    assert len(per_org) == 2 and all(n >= 100 for n in per_org.values())
    assert 24 <= StockItem.objects.count() <= 60
    movements = StockMovement.objects.order_by("occurred_at")
    first, last = movements.first(), movements.last()
    assert (last.occurred_at - first.occurred_at).days >= 60
    assert reads.balance_mismatches() == []
    count = StockCount.objects.get(status=CountStatus.SUBMITTED)
    assert any(d.difference != 0 for d in services.count_differences(count))
    assert Ticket.objects.filter(device__isnull=False).exists()
