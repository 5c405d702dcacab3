"""Fixtures of the shop's tests: a customer device in organisation A (whose contract logbook is
open), organisation B's, stock on a shelf, and a helper that receives a repair."""

from __future__ import annotations

import pytest

from soporte.inventory.tests.conftest import ram, receive, shelf, ssd, supplier  # noqa: F401
from soporte.inventory.tests.factories import make_device
from soporte.workshop import services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def device_a(personas, now, contract_logbook):
    return make_device(
        personas.agent, personas.org_a, now, serial_number="PF-A1", inventory_tag="EQ-A1"
    )


@pytest.fixture
def device_b(personas, now):
    return make_device(
        personas.agent, personas.org_b, now, serial_number="PF-B1", inventory_tag="EQ-B1"
    )


def intake(device, person, **extra):
    return services.Intake(
        device=device,
        brought_by=person,
        fault=extra.pop("fault", "No enciende después de un apagón"),
        condition=extra.pop("condition", "Rayón en la tapa, falta la tecla F5"),
        accessories=extra.pop("accessories", "Cargador original"),
        **extra,
    )


def receive_repair(actor, device, person, now, **extra):
    return services.receive_repair(actor=actor, intake=intake(device, person, **extra), now=now)
