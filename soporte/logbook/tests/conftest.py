from __future__ import annotations

import pytest

from soporte.logbook import services
from soporte.logbook.models import EntryKind, Logbook

MAINTENANCE = {
    "user_name": "Roberto Sánchez",
    "evaluated_date": "2026-11-23",
    "addressee_name": "Diego Castillo",
    "damage_at": "2026-11-22T17:40",
    "description": "La impresora de almacén no imprime y muestra luz ámbar.",
    "device_data": "HP LaserJet M404dn, serie VNB3K12345",
    "general_data": "Almacén, planta baja",
    "diagnosis": "Rodillo de alimentación desgastado.",
    "observations": "Se sustituyó el rodillo; quedó imprimiendo.",
    "reporting_name": "Roberto Sánchez",
}


@pytest.fixture
def logbook(contract_logbook) -> Logbook:
    return contract_logbook


@pytest.fixture
def maintenance_fields() -> dict[str, str]:
    return dict(MAINTENANCE)


def add_note(logbook, author, now, summary="Nota de seguimiento", **kwargs):
    return services.append_entry(
        logbook=logbook, kind=EntryKind.NOTE, author=author, summary=summary, now=now, **kwargs
    )


def add_maintenance(logbook, author, now, summary="Mantenimiento correctivo", **kwargs):
    """An entry the customer countersigns (a maintenance entry with the eleven elements)."""
    return services.append_entry(
        logbook=logbook,
        kind=EntryKind.CORRECTIVE,
        author=author,
        summary=summary,
        fields=dict(MAINTENANCE),
        now=now,
        **kwargs,
    )
