"""A repair's intake (signed by the customer through the bitácora, a receipt with folio and QR)
and the only moves a repair may make."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from soporte.logbook import services as logbook_services
from soporte.logbook.models import EntryKind, Signature
from soporte.workshop import receipts, services
from soporte.workshop.models import TRANSITIONS, Repair, RepairStatus, StatusChange
from soporte.workshop.tests.conftest import PNG, intake, receive_repair

S = RepairStatus


def test_intake_writes_the_entry_the_customer_signs_with_drawing_and_key(personas, now, device_a):
    repair = receive_repair(
        personas.agent, device_a, personas.person_a, now, estimate="850.50", preserve_data=False
    )
    entry = repair.intake_entry
    assert entry.kind == EntryKind.REPAIR_INTAKE
    assert entry.logbook.organisation_id == personas.org_a.pk
    assert entry.fields["folio"] == repair.folio
    assert entry.fields["reported_fault"] == "No enciende después de un apagón"
    assert entry.fields["condition"].startswith("Rayón")
    assert entry.fields["accessories"] == "Cargador original"
    assert entry.fields["preserve_data"] == "No"
    assert entry.fields["estimate"] == "$850.50"
    assert not services.is_signed(entry)

    logbook_services.countersign_entry(
        entry=entry, signer=personas.customer_a, method="on_site", drawn_png=PNG, now=now
    )
    signature = Signature.objects.get(entry=entry, signer=personas.customer_a)
    assert bytes(signature.drawn_png or b"") == PNG and signature.key is not None
    assert services.is_signed(entry)
    assert logbook_services.status_of(entry, now=now) == "countersigned"


def test_counter_intake_then_the_customer_signs_on_the_same_screen(
    personas, now, device_a, password
):
    agent = personas.client("agent")
    response = agent.post(
        reverse("workshop:repair_new"),
        {
            "organisation": personas.org_a.pk,
            "device": device_a.pk,
            "brought_by": personas.person_a.pk,
            "fault": "Pantalla azul al arrancar",
            "condition": "Bisagra rota",
            "accessories": "Funda",
            "preserve_data": "on",
            "estimate": "1200",
        },
    )
    repair = Repair.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workshop:repair_sign", args=[repair.pk, "recepcion"])
    page = agent.get(response["Location"])
    assert "Pantalla azul al arrancar" in page.content.decode()
    drawing = "data:image/png;base64," + __import__("base64").b64encode(PNG).decode()
    wrong = agent.post(
        response["Location"],
        {"signer": personas.customer_a.pk, "password": "no-es", "drawing": drawing},
    )
    assert wrong.status_code == 200 and not services.is_signed(repair.intake_entry)
    signed = agent.post(
        response["Location"],
        {"signer": personas.customer_a.pk, "password": password, "drawing": drawing},
    )
    assert signed.status_code == 302
    assert services.is_signed(Repair.objects.get().intake_entry)
    detail = agent.get(reverse("workshop:repair_detail", args=[repair.pk])).content.decode()
    assert "Recepción firmada por el cliente" in detail


def test_receipt_pdf_has_the_folio_and_the_portal_address(personas, now, device_a):
    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    data = receipts.repair_pdf(repair)
    assert data.startswith(b"%PDF")
    assert repair.folio.encode() in data
    assert services.portal_url(repair).encode() in data
    # The QR code is drawn as filled rectangles (many of them) beside the text.
    assert len(re.findall(rb" re f", data)) > 50


def test_auxiliary_repair_needs_the_warning_acknowledged(personas, now, device_a):
    with pytest.raises(services.RepairError) as caught:
        receive_repair(personas.agent, device_a, personas.person_a, now, auxiliary=True)
    assert caught.value.code == "auxiliary_not_acknowledged"
    assert not Repair.objects.exists()
    repair = receive_repair(
        personas.agent,
        device_a,
        personas.person_a,
        now,
        auxiliary=True,
        auxiliary_acknowledged=True,
    )
    assert "no es técnico profesional" in repair.intake_entry.fields["auxiliary_warning"]
    assert b"auxiliar" in receipts.repair_pdf(repair)


def test_bad_intake_is_refused_with_nothing_written(personas, now, device_a, device_b):
    for extra, code in [
        ({"fault": "  "}, "required"),
        ({"fault": "x" * 2001}, "too_long"),
        ({"estimate": "-5"}, "invalid_amount"),
        ({"estimate": "1.234"}, "invalid_amount"),
    ]:
        with pytest.raises(services.RepairError) as caught:
            receive_repair(personas.agent, device_a, personas.person_a, now, **extra)
        assert caught.value.code == code
    with pytest.raises(services.RepairError) as caught:
        services.receive_repair(
            actor=personas.agent, intake=intake(device_b, personas.person_a), now=now
        )
    assert caught.value.code == "foreign_person"
    assert not Repair.objects.exists() and not StatusChange.objects.exists()


def test_a_customer_cannot_receive_a_repair(personas, now, device_a):
    with pytest.raises(services.Forbidden):
        receive_repair(personas.customer_a, device_a, personas.person_a, now)


def _walk(repair, to_status, actor, now):
    services._move(repair, to_status, actor=actor, now=now)


def test_every_illegal_transition_is_refused_and_every_legal_one_recorded(personas, now, device_a):
    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    for source in S.values:
        for target in S.values:
            Repair.objects.filter(pk=repair.pk).update(status=source)
            repair.refresh_from_db()
            if target in TRANSITIONS[source]:
                _walk(repair, target, personas.agent, now)
                assert Repair.objects.get(pk=repair.pk).status == target
            else:
                with pytest.raises(services.RepairError) as caught:
                    _walk(repair, target, personas.agent, now)
                assert caught.value.code == "illegal_transition"
                assert Repair.objects.get(pk=repair.pk).status == source
    # Delivered and abandoned are final.
    assert TRANSITIONS[S.DELIVERED] == () and TRANSITIONS[S.ABANDONED] == ()
    legal = sum(len(t) for t in TRANSITIONS.values())
    assert StatusChange.objects.filter(repair=repair).count() == legal + 1  # + the intake


def test_a_repair_walks_the_shop_statuses_with_who_and_when(
    personas, now, device_a, ram, supplier, shelf
):
    from soporte.workshop.tests.conftest import receive

    receive(personas.agent, supplier, shelf, now, (ram, 3, "400"))
    repair = receive_repair(personas.agent, device_a, personas.person_a, now)
    later = now + dt.timedelta(hours=1)
    services.start_diagnosis(actor=personas.supervisor, repair=repair, now=later)
    with pytest.raises(services.RepairError) as caught:
        services.mark_repaired(
            actor=personas.agent, repair=repair, work_done="x", labour_minutes=5, now=later
        )
    assert caught.value.code == "not_repairing"
    quote = services.quote_repair(
        actor=personas.supervisor,
        repair=repair,
        diagnosis="Memoria dañada",
        labour="500",
        parts=[services.PartLine(item=ram, location=shelf, quantity="1", unit_price="650")],
        now=later,
    )
    assert Repair.objects.get(pk=repair.pk).status == S.AWAITING_APPROVAL
    assert services.available(ram, shelf) == Decimal("2")
    services.decide_quote(actor=personas.customer_a, quote=quote, approve=True, now=later)
    repair.refresh_from_db()
    assert repair.status == S.REPAIRING
    changes = list(
        repair.changes.order_by("changed_at", "id").values_list("to_status", "changed_by")
    )
    assert changes == [
        (S.RECEIVED, personas.agent.pk),
        (S.DIAGNOSING, personas.supervisor.pk),
        (S.AWAITING_APPROVAL, personas.supervisor.pk),
        (S.REPAIRING, personas.customer_a.pk),
    ]
