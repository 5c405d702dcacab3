"""Use cases of the equipment registry: register, update, retire, remote-access ids, and one
device's timeline (tickets, calls, bitácora entries, parts fitted).

A serial number is unique per brand (the database backs it, whatever the brand's
capitalisation); the inventory tag is unique in the desk and never changes once printed on a
label (bitácora entries name the device by it). A device is retired, never deleted.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, fields
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext as _

from soporte.directory.models import Organisation, Person, User
from soporte.inventory.models import (
    EQUIPMENT_SUBJECT,
    Device,
    DeviceKind,
    MovementKind,
    RemoteAccess,
)
from soporte.lib.errors import DomainError, Forbidden


class DeviceError(DomainError):
    code = "invalid_device"


MAC_RE = re.compile(r"^[0-9A-F]{2}([:-]?[0-9A-F]{2}){5}$")
TAG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass
class DeviceData:
    """What a person types about a device (a form, an API body, an imported row)."""

    organisation: Organisation
    kind: str
    brand: str
    model: str = ""
    serial_number: str = ""
    inventory_tag: str = ""
    owner: Person | None = None
    location: str = ""
    purchase_date: dt.date | None = None
    warranty_end_date: dt.date | None = None
    processor: str = ""
    memory: str = ""
    disk: str = ""
    operating_system: str = ""
    ip_address: str = ""
    mac_address: str = ""
    notes: str = ""
    attached_to: Device | None = None

    @classmethod
    def of(cls, device: Device) -> DeviceData:
        return cls(**{f.name: getattr(device, f.name) for f in fields(cls)})


LIMITS = {
    "brand": 80,
    "model": 120,
    "serial_number": 80,
    "inventory_tag": 40,
    "location": 200,
    "processor": 120,
    "memory": 60,
    "disk": 120,
    "operating_system": 120,
    "notes": 4000,
}


def normalise(data: DeviceData) -> DeviceData:
    for name in ("brand", "model", "location", "processor", "memory", "disk", "operating_system"):
        setattr(data, name, " ".join(str(getattr(data, name) or "").split()))
    data.notes = str(data.notes or "").strip()
    data.serial_number = "".join(str(data.serial_number or "").split()).upper()
    data.inventory_tag = str(data.inventory_tag or "").strip().upper()
    data.ip_address = str(data.ip_address or "").strip()
    data.mac_address = str(data.mac_address or "").strip().upper().replace("-", ":")
    if data.mac_address and ":" not in data.mac_address and len(data.mac_address) == 12:
        data.mac_address = ":".join(data.mac_address[i : i + 2] for i in range(0, 12, 2))
    return data


def problems(data: DeviceData, *, device: Device | None = None) -> dict[str, str]:
    """Field → Spanish message, for everything wrong with `data` (empty when valid).
    Checks the database for serial and tag clashes, except with `device` itself."""
    errors: dict[str, str] = {}
    if data.kind not in DeviceKind.values:
        errors["kind"] = _("Tipo de equipo desconocido: «%(kind)s».") % {"kind": data.kind}
    if not data.brand:
        errors["brand"] = _("Falta la marca.")
    for name, limit in LIMITS.items():
        if len(str(getattr(data, name) or "")) > limit:
            errors[name] = _("Admite hasta %(n)d caracteres.") % {"n": limit}
    if data.inventory_tag and not TAG_RE.match(data.inventory_tag):
        errors["inventory_tag"] = _("La etiqueta admite letras, números, punto, guion y diagonal.")
    if data.ip_address:
        try:
            ipaddress.ip_address(data.ip_address)
        except ValueError:
            errors["ip_address"] = _("La dirección IP no es válida.")
    if data.mac_address and not MAC_RE.match(data.mac_address):
        errors["mac_address"] = _("La dirección MAC no es válida (seis pares hexadecimales).")
    if (
        data.purchase_date
        and data.warranty_end_date
        and data.warranty_end_date < data.purchase_date
    ):
        errors["warranty_end_date"] = _("La garantía no puede terminar antes de la compra.")
    if data.owner is not None and data.owner.organisation_id != data.organisation.pk:
        errors["owner"] = _("El responsable no pertenece a la organización del equipo.")
    if data.attached_to is not None:
        if device is not None and data.attached_to.pk == device.pk:
            errors["attached_to"] = _("Un equipo no se conecta a sí mismo.")
        elif data.attached_to.organisation_id != data.organisation.pk:
            errors["attached_to"] = _("El equipo al que se conecta es de otra organización.")
    others = Device.objects.exclude(pk=device.pk) if device is not None else Device.objects.all()
    if data.serial_number and "brand" not in errors:
        clash = (
            others.annotate(brand_key=Lower("brand"))
            .filter(brand_key=data.brand.lower(), serial_number=data.serial_number)
            .values_list("inventory_tag", flat=True)
            .first()
        )
        if clash:
            errors["serial_number"] = _(
                "Ya existe un equipo %(brand)s con el número de serie %(serial)s (etiqueta %(tag)s)."
            ) % {"brand": data.brand, "serial": data.serial_number, "tag": clash}
    if data.inventory_tag and others.filter(inventory_tag=data.inventory_tag).exists():
        errors["inventory_tag"] = _("Ya existe un equipo con la etiqueta %(tag)s.") % {
            "tag": data.inventory_tag
        }
    return errors


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise DeviceError(
            _("Revise los datos del equipo: %(errors)s")
            % {"errors": " ".join(str(message) for message in errors.values())},
            fields=errors,
        )


def next_tag() -> str:
    """EQ-000123: one more than the highest automatic tag."""
    last = (
        Device.objects.filter(inventory_tag__startswith="EQ-")
        .order_by("-inventory_tag")
        .values_list("inventory_tag", flat=True)
        .first()
    )
    number = int(last[3:]) + 1 if last and last[3:].isdigit() else 1
    return f"EQ-{number:06d}"


def _require_staff(actor: User) -> None:
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa registra equipos."))


def _assign(device: Device, data: DeviceData) -> None:
    for f in fields(DeviceData):
        setattr(device, f.name, getattr(data, f.name))


@transaction.atomic
def register_device(*, actor: User, data: DeviceData, now: dt.datetime) -> Device:
    _require_staff(actor)
    data = normalise(data)
    if not data.inventory_tag:
        data.inventory_tag = next_tag()
    _raise(problems(data))
    device = Device(created_at=now, updated_at=now)
    _assign(device, data)
    device.save(force_insert=True)
    return device


@transaction.atomic
def update_device(*, actor: User, device: Device, data: DeviceData, now: dt.datetime) -> Device:
    _require_staff(actor)
    device = Device.objects.select_for_update().get(pk=device.pk)
    data = normalise(data)
    if data.inventory_tag and data.inventory_tag != device.inventory_tag:
        raise DeviceError(
            _("La etiqueta de inventario no cambia: la llevan la etiqueta impresa y la bitácora."),
            code="tag_immutable",
            fields={"inventory_tag": _("No se cambia.")},
        )
    data.inventory_tag = device.inventory_tag
    if data.organisation.pk != device.organisation_id and device.tickets.exists():
        raise DeviceError(
            _("El equipo ya tiene tickets de su organización: no se pasa a otra."),
            code="organisation_fixed",
            fields={"organisation": _("No se cambia.")},
        )
    _raise(problems(data, device=device))
    _assign(device, data)
    device.updated_at = now
    device.save()
    return device


@transaction.atomic
def retire_device(*, actor: User, device: Device, reason: str, now: dt.datetime) -> Device:
    _require_staff(actor)
    reason = reason.strip()[:300]
    if not reason:
        raise DeviceError(_("Indique el motivo de la baja."), code="reason_required")
    device = Device.objects.select_for_update().get(pk=device.pk)
    if device.retired_at is not None:
        raise DeviceError(_("El equipo ya está dado de baja."), code="already_retired")
    Device.objects.filter(pk=device.pk).update(
        retired_at=now, retired_reason=reason, updated_at=now
    )
    device.refresh_from_db()
    return device


@transaction.atomic
def add_remote_access(
    *, actor: User, device: Device, tool: str, remote_id: str, notes: str = ""
) -> RemoteAccess:
    _require_staff(actor)
    tool, remote_id = " ".join(tool.split())[:80], remote_id.strip()[:120]
    if not tool or not remote_id:
        raise DeviceError(_("Indique la herramienta y el identificador."), code="remote_required")
    if RemoteAccess.objects.filter(device=device, tool=tool, remote_id=remote_id).exists():
        raise DeviceError(_("Ese acceso remoto ya está registrado."), code="remote_exists")
    return RemoteAccess.objects.create(
        device=device, tool=tool, remote_id=remote_id, notes=notes.strip()[:200]
    )


# --- the device's timeline ----------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    at: dt.datetime
    kind: str  # ticket, call, entry, movement (and repair, once repairs exist)
    title: str
    detail: str
    url: str


def _url(name: str, *args: int) -> str:
    return reverse(name, args=list(args))


class _Urls:
    """URL patterns resolved once per timeline, then filled per event (1,000 `reverse`
    calls cost more than the queries)."""

    def __init__(self, name: str, arity: int = 1) -> None:
        marks = [987654321 + n for n in range(arity)]
        self.template = _url(name, *marks)
        self.marks = [str(m) for m in marks]

    def __call__(self, *args: object) -> str:
        url = self.template
        for mark, value in zip(self.marks, args, strict=True):
            url = url.replace(mark, str(value), 1)
        return url


def timeline(*, device: Device, actor: Any, limit: int = 1000) -> list[Event]:
    """Everything that happened to a device, newest first: its tickets, the calls about them,
    bitácora entries that name it, parts issued to it. Each source through its own access
    gate; movements (costs) only for the desk's staff. Four narrow queries, no model rows."""
    from soporte.calls.models import Call
    from soporte.logbook.models import Entry
    from soporte.tickets.models import Status, Ticket

    limit = max(1, min(limit, 5000))
    staff = bool(getattr(actor, "is_desk_staff", False))
    events: list[Event] = []
    tickets = (
        Ticket.objects.visible_to(actor)
        .filter(device=device)
        .order_by("-created_at", "-id")
        .values_list("number", "created_at", "subject", "status")[:limit]
    )
    ticket_url = _Urls("tickets:detail" if staff else "tickets:portal_detail")
    title = _("Ticket %(number)d: %(subject)s")
    statuses = {value: str(label) for value, label in Status.choices}
    for number, at, subject, status in tickets:
        events.append(
            Event(
                at,
                "ticket",
                title % {"number": number, "subject": subject},
                statuses.get(status, status),
                ticket_url(number),
            )
        )
    if staff:
        calls = (
            Call.objects.visible_to(actor)
            .filter(ticket__device=device)
            .order_by("-started_at", "-id")
            .values_list("pk", "started_at", "caller_name", "from_number", "ticket__number")[:limit]
        )
        call_url = _Urls("calls:detail")
        title, detail = _("Llamada de %(caller)s"), _("Ticket %(number)d")
        for pk, at, caller, from_number, ticket_number in calls:
            events.append(
                Event(
                    at,
                    "call",
                    title % {"caller": caller or from_number},
                    detail % {"number": ticket_number},
                    call_url(pk),
                )
            )
    entries = (
        Entry.objects.visible_to(actor)
        .filter(subject_type=EQUIPMENT_SUBJECT, subject_id=device.inventory_tag)
        .order_by("-created_at", "-id")
        .values_list("logbook_id", "number", "created_at", "summary", "author_name")[:limit]
    )
    entry_url = _Urls("logbook:entry_detail", 2)
    title = _("Bitácora, nota %(number)d: %(summary)s")
    for logbook_id, number, at, summary, author in entries:
        events.append(
            Event(
                at,
                "entry",
                title % {"number": number, "summary": summary},
                author,
                entry_url(logbook_id, number),
            )
        )
    if staff:
        movements = device.stock_movements.order_by("-occurred_at", "-id").values_list(
            "pk", "occurred_at", "item__sku", "item__name", "quantity", "kind"
        )[:limit]
        movement_url = _Urls("inventory:movement_detail")
        title = _("%(quantity)s × %(sku)s %(name)s")
        kinds = {value: str(label) for value, label in MovementKind.choices}
        for pk, at, sku, name, quantity, kind in movements:
            events.append(
                Event(
                    at,
                    "movement",
                    title % {"quantity": f"{-quantity.normalize():f}", "sku": sku, "name": name},
                    kinds.get(kind, kind),
                    movement_url(pk),
                )
            )
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]


def maintenance_elements(device: Device) -> dict[str, str]:
    """The two device elements of a maintenance entry opened from the device (seed 004:
    "datos del dispositivo periférico" and "datos generales")."""
    peripherals = list(device.peripherals.filter(retired_at__isnull=True).order_by("id"))
    device_data = device.device_data()
    if peripherals:
        device_data += "; " + _("periféricos: %(list)s") % {
            "list": ", ".join(
                f"{p.get_kind_display()} {p.brand} {p.model} ({p.inventory_tag})".strip()
                for p in peripherals
            )
        }
    return {"device_data": device_data, "general_data": device.general_data()}


def search(queryset: Any, text: str) -> Any:
    text = text.strip()[:80]
    if not text:
        return queryset
    return queryset.filter(
        Q(inventory_tag__icontains=text)
        | Q(serial_number__icontains=text)
        | Q(brand__icontains=text)
        | Q(model__icontains=text)
        | Q(location__icontains=text)
    )
