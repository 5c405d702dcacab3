"""An unknown caller is registered from the console as a new person (and organisation); the
next call from that number pops their record."""

from __future__ import annotations

import pytest
from django.test import Client

from soporte.calls.models import Call
from soporte.calls.tests import test_console_buttons as buttons
from soporte.directory.models import Organisation, Person

pytestmark = pytest.mark.django_db
UNKNOWN = "5559998877"


@pytest.fixture
def clock_(monkeypatch, now) -> buttons.Clock:
    return buttons.Clock(monkeypatch, now)


@pytest.fixture
def blanca_(personas) -> Client:
    return personas.client("agent")


def _unknown_call(client: Client, clock_: buttons.Clock) -> Call:
    buttons.htmx(client, "/llamadas/consola/sonando/", {"number": UNKNOWN})
    call = Call.objects.order_by("-id").first()
    assert call is not None and call.person is None
    clock_.advance(3)
    buttons.htmx(client, f"/llamadas/{call.pk}/contestar/")
    return call


def test_an_unknown_caller_is_registered_with_a_new_organisation(blanca_, clock_):
    call = _unknown_call(blanca_, clock_)
    assert "Quien llama no está registrado: registrarlo" in blanca_.get("/llamadas/consola/").content.decode()  # fmt: skip

    body = buttons.htmx(
        blanca_,
        f"/llamadas/{call.pk}/registrar/",
        {"full_name": "  Lucía   Méndez ", "new_organisation": "Papelería El Sol", "email": "lucia@elsol.mx"},
    )  # fmt: skip

    assert "Lucía Méndez quedó registrado en Papelería El Sol." in body
    person = Person.objects.get(full_name="Lucía Méndez")
    assert (person.phone, person.email, person.organisation.name) == (UNKNOWN, "lucia@elsol.mx", "Papelería El Sol")  # fmt: skip
    call.refresh_from_db()
    assert (call.person, call.organisation, call.caller_name) == (person, person.organisation, "Lucía Méndez")  # fmt: skip

    # The next call from that number knows her.
    clock_.advance(600)
    buttons.htmx(blanca_, "/llamadas/consola/sonando/", {"number": UNKNOWN})
    latest = Call.objects.order_by("-id").first()
    assert latest is not None and latest.person == person


def test_registering_in_an_existing_organisation_and_the_refusals(blanca_, personas, clock_):
    call = _unknown_call(blanca_, clock_)
    url = f"/llamadas/{call.pk}/registrar/"
    assert "Escriba el nombre completo" in buttons.htmx(blanca_, url, {"full_name": " ", "new_organisation": "X"})  # fmt: skip
    assert "Elija la organización o escriba" in buttons.htmx(blanca_, url, {"full_name": "Ana"})
    assert "El correo no es válido." in buttons.htmx(blanca_, url, {"full_name": "Ana", "organisation": personas.org_a.pk, "email": "ana@"})  # fmt: skip
    assert not Person.objects.filter(full_name="Ana").exists()
    organisations = Organisation.objects.count()

    buttons.htmx(blanca_, url, {"full_name": "Ana Ruiz", "organisation": personas.org_a.pk})

    assert Organisation.objects.count() == organisations
    assert Person.objects.get(full_name="Ana Ruiz").organisation == personas.org_a
    assert "Quien llama ya está registrado." in buttons.htmx(blanca_, url, {"full_name": "Otra", "new_organisation": "Y"})  # fmt: skip


@pytest.mark.parametrize("who", ["customer_a", "customer_b"])
def test_customers_cannot_register_callers(blanca_, personas, clock_, who):
    call = _unknown_call(blanca_, clock_)
    response = personas.client(who).post(f"/llamadas/{call.pk}/registrar/", {"full_name": "X", "new_organisation": "Y"})  # fmt: skip
    assert response.status_code in (403, 404)
    assert not Person.objects.filter(full_name="X").exists()
