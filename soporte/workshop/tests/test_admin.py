"""The admin edits the shop's rules (IVA) and only reads repairs, sales and expenses."""

from __future__ import annotations

from django.urls import reverse

from soporte.workshop import sales
from soporte.workshop.models import Sale, WorkshopSettings
from soporte.workshop.tests.conftest import receive_repair


def test_admin_sets_the_vat_and_reads_the_documents(personas, now, device_a):
    receive_repair(personas.agent, device_a, personas.person_a, now)
    sale = sales.sell(
        actor=personas.agent,
        lines=[sales.Line("Servicio", "1", "100")],
        payment_method="cash",
        now=now,
    )
    admin = personas.client("admin")
    for name in (
        "workshop_repair_changelist",
        "workshop_sale_changelist",
        "workshop_expense_changelist",
    ):
        assert admin.get(reverse(f"admin:{name}")).status_code == 200
    assert (
        admin.post(
            reverse("admin:workshop_sale_delete", args=[sale.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Sale.objects.filter(pk=sale.pk).exists()
    row = WorkshopSettings.current()
    page = admin.get(reverse("admin:workshop_workshopsettings_change", args=[row.pk]))
    assert page.status_code == 200 and "IVA" in page.content.decode()
