"""Devices for tests, registered through the use case."""

from __future__ import annotations

from soporte.inventory import devices
from soporte.inventory.models import DeviceKind


def make_device(actor, organisation, now, **extra):
    data = devices.DeviceData(
        organisation=organisation,
        kind=extra.pop("kind", DeviceKind.LAPTOP),
        brand=extra.pop("brand", "Lenovo"),
        model=extra.pop("model", "ThinkPad T14"),
        serial_number=extra.pop("serial_number", ""),
        **extra,
    )
    return devices.register_device(actor=actor, data=data, now=now)
