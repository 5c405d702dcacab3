"""The admin shows the ledger read-only and never deletes a device."""

from __future__ import annotations

from django.urls import reverse

from soporte.inventory.tests.conftest import receive
from soporte.inventory.tests.factories import make_device


def test_admin_reads_the_ledger_but_cannot_change_or_delete(personas, now, supplier, shelf, ram):
    movement = receive(personas.agent, supplier, shelf, now, (ram, 1, "10")).movements.get()
    device = make_device(personas.agent, personas.org_a, now)
    admin = personas.client("admin")
    assert admin.get(reverse("admin:inventory_stockmovement_changelist")).status_code == 200
    page = admin.get(reverse("admin:inventory_stockmovement_change", args=[movement.pk]))
    assert page.status_code == 200 and b'type="submit" value="Guardar"' not in page.content
    assert (
        admin.post(
            reverse("admin:inventory_stockmovement_delete", args=[movement.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        admin.post(
            reverse("admin:inventory_device_delete", args=[device.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert admin.get(reverse("admin:inventory_inventorysettings_changelist")).status_code == 200
