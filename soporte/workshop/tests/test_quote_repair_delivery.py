"""Diagnosis and quote (parts reserved), the decision in the portal or at the counter, the
repair (parts leave the stock into the device, the maintenance entry), the delivery with its
signature, payment and warranty, and a warranty return linked to the original repair."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from soporte.inventory.models import MovementKind, StockBalance, StockMovement
from soporte.logbook import services as logbook_services
from soporte.logbook.models import EntryKind
from soporte.workshop import services
from soporte.workshop.models import QuoteStatus, Repair, RepairStatus, WorkshopSettings
from soporte.workshop.tests.conftest import PNG, receive, receive_repair

S = RepairStatus
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def stocked(personas, now, supplier, shelf, ram):
    receive(personas.agent, supplier, shelf, now, (ram, 2, "400"))
    return ram


def _quote(personas, repair, ram, shelf, now, *, quantity="1", labour="500"):
    services.start_diagnosis(actor=personas.agent, repair=repair, now=now)
    return services.quote_repair(
        actor=personas.agent,
        repair=repair,
        diagnosis="Módulo de memoria defectuoso",
        labour=labour,
        parts=[services.PartLine(item=ram, location=shelf, quantity=quantity, unit_price="650")],
        now=now,
    )


def test_a_quote_rejected_then_a_new_one_approved(personas, now, device_a, stocked, shelf):
    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    first = _quote(personas, repair, stocked, shelf, now, labour="900")
    assert first.total() == Decimal("1550.00")
    services.decide_quote(
        actor=personas.customer_a, quote=first, approve=False, reason="Muy caro", now=now + HOUR
    )
    first.refresh_from_db()
    repair.refresh_from_db()
    assert first.status == QuoteStatus.REJECTED and first.channel == "portal"
    assert repair.status == S.DIAGNOSING
    # A rejected quote no longer holds the part.
    assert services.available(stocked, shelf) == Decimal("2")
    entry = first.decision_entry
    assert entry.kind == EntryKind.APPROVAL and entry.fields["decision"] == "rechazado"
    assert entry.author_id == personas.customer_a.pk and entry.fields["reason"] == "Muy caro"

    second = services.quote_repair(
        actor=personas.agent,
        repair=repair,
        diagnosis="Módulo de memoria defectuoso",
        labour="400",
        parts=[services.PartLine(item=stocked, location=shelf, quantity="1", unit_price="650")],
        now=now + 2 * HOUR,
    )
    with pytest.raises(services.RepairError) as caught:
        services.decide_quote(
            actor=personas.customer_a, quote=first, approve=True, now=now + 3 * HOUR
        )
    assert caught.value.code == "already_decided"
    # At the counter: the agent records who of the customer decided.
    services.decide_quote(
        actor=personas.agent,
        quote=second,
        approve=True,
        decided_by=personas.person_a,
        now=now + 3 * HOUR,
    )
    second.refresh_from_db()
    repair.refresh_from_db()
    assert second.status == QuoteStatus.APPROVED and second.channel == "counter"
    assert second.decided_by_name == personas.person_a.full_name
    assert repair.status == S.REPAIRING
    assert services.available(stocked, shelf) == Decimal("1")  # reserved by the approved quote


def test_only_the_customers_decision_maker_decides_in_the_portal(
    personas, now, device_a, stocked, shelf
):
    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    quote = _quote(personas, repair, stocked, shelf, now)
    for outsider in (personas.customer_b,):
        with pytest.raises(services.Forbidden):
            services.decide_quote(actor=outsider, quote=quote, approve=True, now=now)
    # Through the page: customer B gets a 404 (not their repair), customer A decides.
    url = reverse("workshop:repair_action", args=[repair.pk, "decidir"])
    assert personas.client("customer_b").post(url, {"decision": "approve"}).status_code == 404
    assert personas.client("customer_a").post(url, {"decision": "approve"}).status_code == 302
    assert Repair.objects.get(pk=repair.pk).status == S.REPAIRING


def test_minor_work_starts_without_approval(personas, now, device_a):
    WorkshopSettings.objects.update_or_create(pk=1, defaults={"minor_work_limit": Decimal("300")})
    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    services.start_diagnosis(actor=personas.agent, repair=repair, now=now)
    quote = services.quote_repair(
        actor=personas.agent,
        repair=repair,
        diagnosis="Limpieza de ventilador",
        labour="250",
        now=now,
    )
    repair.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED and quote.channel == "minor"
    assert repair.status == S.REPAIRING


def test_parts_missing_wait_then_the_repair_consumes_them_from_the_ledger(
    personas, now, device_a, stocked, shelf, supplier
):
    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    quote = _quote(personas, repair, stocked, shelf, now, quantity="3")
    services.decide_quote(actor=personas.customer_a, quote=quote, approve=True, now=now + HOUR)
    repair.refresh_from_db()
    assert repair.status == S.AWAITING_PARTS
    with pytest.raises(services.RepairError) as caught:
        services.parts_arrived(actor=personas.agent, repair=repair, now=now + HOUR)
    assert caught.value.code == "parts_missing"
    receive(personas.agent, supplier, shelf, now + HOUR, (stocked, 1, "420"), invoice="F-2")
    services.parts_arrived(actor=personas.agent, repair=repair, now=now + 2 * HOUR)
    services.mark_repaired(
        actor=personas.agent,
        repair=repair,
        work_done="Cambio de memoria",
        labour_minutes=45,
        now=now + 3 * HOUR,
    )
    repair.refresh_from_db()
    assert repair.status == S.READY and repair.repaired_by == personas.agent
    movement = StockMovement.objects.get(kind=MovementKind.ISSUE)
    assert movement.quantity == Decimal("-3") and movement.device_id == device_a.pk
    assert movement.reference == repair.folio
    assert StockBalance.objects.get(item=stocked, location=shelf).on_hand == Decimal("0")
    entry = repair.maintenance_entry
    assert entry.kind == EntryKind.CORRECTIVE
    assert not logbook_services.missing_elements(entry.kind, entry.fields)
    assert entry.fields["observations"] == "Cambio de memoria"


def _ready(personas, now, device_a):
    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    services.start_diagnosis(actor=personas.agent, repair=repair, now=now)
    services.quote_repair(
        actor=personas.agent, repair=repair, diagnosis="Pasta térmica", labour="200", now=now
    )
    return services.mark_repaired(
        actor=personas.supervisor,
        repair=repair,
        work_done="Cambio de pasta",
        labour_minutes=30,
        now=now + HOUR,
    )


def test_delivery_with_payment_warranty_and_the_customers_signature(personas, now, device_a):
    repair = _ready(personas, now, device_a)
    with pytest.raises(services.RepairError) as caught:
        services.deliver_repair(
            actor=personas.agent,
            repair=repair,
            handed_back="Laptop",
            payment_method="none",
            amount="200",
            now=now,
        )
    assert caught.value.code == "invalid_payment_method"
    services.deliver_repair(
        actor=personas.agent,
        repair=repair,
        handed_back="Laptop y cargador",
        payment_method="card",
        amount="200",
        warranty_days=30,
        warranty_covers="Mano de obra",
        now=now + 2 * HOUR,
    )
    repair.refresh_from_db()
    assert repair.status == S.DELIVERED and repair.amount_charged == Decimal("232.00")  # + IVA
    [sale] = repair.sales.all()
    assert (sale.subtotal, sale.tax, sale.total, sale.payment_method) == (
        Decimal("200.00"),
        Decimal("32.00"),
        Decimal("232.00"),
        "card",
    )
    entry = repair.delivery_entry
    assert entry.kind == EntryKind.REPAIR_DELIVERY
    assert entry.fields["warranty"] == "30 días: Mano de obra"
    assert entry.fields["payment"] == "$232.00 (Tarjeta)"
    logbook_services.countersign_entry(
        entry=entry, signer=personas.customer_a, method="on_site", drawn_png=PNG, now=now + 2 * HOUR
    )
    assert services.is_signed(entry)
    assert services.warranty_ends(repair) == now + 2 * HOUR + dt.timedelta(days=30)


def test_a_warranty_return_is_linked_to_the_original_and_its_technician(personas, now, device_a):
    repair = _ready(personas, now, device_a)
    with pytest.raises(services.RepairError) as caught:
        services.receive_warranty_return(
            actor=personas.agent,
            original=repair,
            brought_by=personas.person_a,
            fault="x",
            condition="y",
            now=now,
        )
    assert caught.value.code == "not_delivered"
    services.deliver_repair(
        actor=personas.agent,
        repair=repair,
        handed_back="Laptop",
        payment_method="cash",
        amount="200",
        warranty_days=30,
        now=now + 2 * HOUR,
    )
    back = services.receive_warranty_return(
        actor=personas.agent,
        original=repair,
        brought_by=personas.person_a,
        fault="Se vuelve a calentar",
        condition="Igual que al entregarla",
        now=now + dt.timedelta(days=10),
    )
    assert back.warranty_of_id == repair.pk
    assert back.technician_id == personas.supervisor.pk  # who repaired it, not who received it
    assert back.intake_entry.fields["warranty_of"] == repair.folio
    with pytest.raises(services.RepairError) as caught:
        services.receive_warranty_return(
            actor=personas.agent,
            original=repair,
            brought_by=personas.person_a,
            fault="x",
            condition="y",
            now=now + dt.timedelta(days=40),
        )
    assert caught.value.code == "warranty_expired"


def test_unrepairable_is_handed_back_without_warranty(personas, now, device_a):
    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    services.start_diagnosis(actor=personas.agent, repair=repair, now=now)
    services.mark_unrepairable(
        actor=personas.agent, repair=repair, reason="Tarjeta madre quemada", now=now
    )
    services.deliver_repair(
        actor=personas.agent,
        repair=repair,
        handed_back="Laptop",
        payment_method="none",
        amount="0",
        warranty_days=90,
        now=now + HOUR,
    )
    repair.refresh_from_db()
    assert repair.status == S.DELIVERED and repair.warranty_days == 0 and repair.repaired_at is None
    assert repair.delivery_entry.fields["result"] == "Sin reparación"


def test_the_customer_is_emailed_the_quote_and_when_the_device_is_ready(
    personas, now, device_a, django_capture_on_commit_callbacks, run_jobs, mailoutbox
):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    # The intake's own receipt (test_intake_photos_and_receipt) is not this test's mail.
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.start_diagnosis(actor=personas.agent, repair=repair, now=now)
        quote = services.quote_repair(
            actor=personas.agent, repair=repair, diagnosis="Bisagra rota", labour="900", now=now
        )
        services.decide_quote(actor=personas.customer_a, quote=quote, approve=True, now=now)
        services.mark_repaired(
            actor=personas.agent, repair=repair, work_done="Bisagra", labour_minutes=30, now=now
        )
    run_jobs()
    subjects = [m.subject for m in mailoutbox]
    assert subjects == [
        f"[{repair.folio}] Presupuesto de su reparación",
        f"[{repair.folio}] Su equipo está listo",
    ]
    assert all(m.to == [personas.person_a.email] for m in mailoutbox)
    assert services.portal_url(repair) in mailoutbox[0].body and "$900.00" in mailoutbox[0].body
