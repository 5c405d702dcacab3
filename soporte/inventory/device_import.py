"""Import devices from CSV or XLSX: a preview with every bad row named in Spanish, then all
rows or none.

The upload is kept (`DeviceImport`) between the preview and the confirmation; confirming
parses and checks it again inside one transaction, so a device registered meanwhile with the
same serial makes the whole import fail instead of half of it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from soporte.directory.models import Organisation, Person, User
from soporte.inventory import devices
from soporte.inventory.models import Device, DeviceImport, DeviceKind, ImportStatus
from soporte.lib.errors import DomainError, Forbidden

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000


class ImportError_(DomainError):
    code = "import_invalid"


def _key(text: Any) -> str:
    """Header or choice as typed → comparable key: no accents, lower case, single spaces."""
    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().replace("_", " ").replace(".", " ").split())


COLUMNS: dict[str, str] = {
    "tipo": "kind",
    "kind": "kind",
    "marca": "brand",
    "brand": "brand",
    "modelo": "model",
    "model": "model",
    "numero de serie": "serial_number",
    "no de serie": "serial_number",
    "serie": "serial_number",
    "serial": "serial_number",
    "serial number": "serial_number",
    "etiqueta": "inventory_tag",
    "etiqueta de inventario": "inventory_tag",
    "inventory tag": "inventory_tag",
    "organizacion": "organisation",
    "cliente": "organisation",
    "organisation": "organisation",
    "organization": "organisation",
    "responsable": "owner",
    "owner": "owner",
    "ubicacion": "location",
    "location": "location",
    "fecha de compra": "purchase_date",
    "purchase date": "purchase_date",
    "fin de garantia": "warranty_end_date",
    "fin de la garantia": "warranty_end_date",
    "garantia": "warranty_end_date",
    "warranty end": "warranty_end_date",
    "procesador": "processor",
    "processor": "processor",
    "memoria": "memory",
    "memory": "memory",
    "disco": "disk",
    "disk": "disk",
    "sistema operativo": "operating_system",
    "operating system": "operating_system",
    "ip": "ip_address",
    "direccion ip": "ip_address",
    "mac": "mac_address",
    "direccion mac": "mac_address",
    "notas": "notes",
    "datos generales": "notes",
    "notes": "notes",
    "conectado a": "attached_to",
    "attached to": "attached_to",
}

KINDS: dict[str, str] = {_key(code): code for code in DeviceKind.values}
KINDS.update(
    {
        "computadora de escritorio": DeviceKind.DESKTOP,
        "escritorio": DeviceKind.DESKTOP,
        "pc": DeviceKind.DESKTOP,
        "computadora portatil": DeviceKind.LAPTOP,
        "portatil": DeviceKind.LAPTOP,
        "impresora": DeviceKind.PRINTER,
        "multifuncional": DeviceKind.PRINTER,
        "servidor": DeviceKind.SERVER,
        "equipo de red": DeviceKind.NETWORK,
        "red": DeviceKind.NETWORK,
        "switch": DeviceKind.NETWORK,
        "router": DeviceKind.NETWORK,
        "telefono": DeviceKind.PHONE,
        "celular": DeviceKind.PHONE,
        "tableta": DeviceKind.TABLET,
        "periferico": DeviceKind.PERIPHERAL,
        "otro": DeviceKind.OTHER,
    }
)


@dataclass
class Row:
    number: int  # the spreadsheet's row number (the header is row 1)
    values: dict[str, str]
    data: devices.DeviceData | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class Preview:
    rows: list[Row]
    unknown_columns: list[str]

    @property
    def bad_rows(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.bad_rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(name: str, data: bytes) -> list[list[str]]:
    """The sheet's rows as text (first sheet of an XLSX; a CSV with , or ;)."""
    if len(data) > MAX_BYTES:
        raise ImportError_(
            _("El archivo pesa más de %(mb)d MB.") % {"mb": MAX_BYTES // 2**20}, code="too_large"
        )
    if data[:4] == b"PK\x03\x04" or name.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # spreadsheets on Windows save CSV in ANSI
    if "\x00" in text:
        raise ImportError_(_("El archivo no es un CSV de texto."), code="not_csv")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_xlsx(data: bytes) -> list[list[str]]:
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportError_(_("El archivo no es un XLSX válido."), code="not_xlsx") from exc
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append([_cell(v) for v in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def _date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


FIELD_LABELS = {
    "kind": "tipo",
    "brand": "marca",
    "model": "modelo",
    "serial_number": "número de serie",
    "inventory_tag": "etiqueta",
    "organisation": "organización",
    "owner": "responsable",
    "location": "ubicación",
    "purchase_date": "fecha de compra",
    "warranty_end_date": "fin de garantía",
    "processor": "procesador",
    "memory": "memoria",
    "disk": "disco",
    "operating_system": "sistema operativo",
    "ip_address": "IP",
    "mac_address": "MAC",
    "notes": "notas",
    "attached_to": "conectado a",
}


def preview(name: str, data: bytes, *, default_organisation: Organisation | None) -> Preview:
    """Parse and check every row; nothing is written."""
    table = [row for row in read_table(name, data) if any(cell for cell in row)]
    if not table:
        raise ImportError_(_("El archivo está vacío."), code="empty")
    header = [_key(h) for h in table[0]]
    columns = [COLUMNS.get(h) for h in header]
    unknown = [table[0][i] for i, c in enumerate(columns) if c is None and header[i]]
    if "kind" not in columns or "brand" not in columns:
        raise ImportError_(
            _("El archivo debe tener al menos las columnas «tipo» y «marca» en la primera fila."),
            code="missing_columns",
        )
    if "organisation" not in columns and default_organisation is None:
        raise ImportError_(
            _("Elija la organización o agregue la columna «organización»."),
            code="missing_organisation",
        )
    body = table[1:]
    if len(body) > MAX_ROWS:
        raise ImportError_(
            _("Se importan hasta %(n)d equipos por archivo.") % {"n": MAX_ROWS}, code="too_many"
        )
    organisations = {_key(o.name): o for o in Organisation.objects.all()}
    seen_serials: dict[tuple[str, str], int] = {}
    seen_tags: dict[str, int] = {}
    rows = []
    for offset, cells in enumerate(body):
        values = {
            column: cells[i] if i < len(cells) else ""
            for i, column in enumerate(columns)
            if column is not None
        }
        row = Row(number=offset + 2, values=values)
        _check_row(row, default_organisation, organisations)
        if row.data is not None and not row.errors:
            serial_key = (row.data.brand.lower(), row.data.serial_number)
            if row.data.serial_number:
                if serial_key in seen_serials:
                    row.errors.append(
                        _("el número de serie %(serial)s de %(brand)s se repite (fila %(other)d).")
                        % {
                            "serial": row.data.serial_number,
                            "brand": row.data.brand,
                            "other": seen_serials[serial_key],
                        }
                    )
                seen_serials.setdefault(serial_key, row.number)
            if row.data.inventory_tag:
                if row.data.inventory_tag in seen_tags:
                    row.errors.append(
                        _("la etiqueta %(tag)s se repite (fila %(other)d).")
                        % {
                            "tag": row.data.inventory_tag,
                            "other": seen_tags[row.data.inventory_tag],
                        }
                    )
                seen_tags.setdefault(row.data.inventory_tag, row.number)
        rows.append(row)
    return Preview(rows, unknown)


def _check_row(
    row: Row, default_organisation: Organisation | None, organisations: dict[str, Organisation]
) -> None:
    values = row.values
    organisation = default_organisation
    if values.get("organisation"):
        organisation = organisations.get(_key(values["organisation"]))
        if organisation is None:
            row.errors.append(
                _("no existe la organización «%(name)s».") % {"name": values["organisation"][:80]}
            )
            return
    if organisation is None:
        row.errors.append(_("falta la organización."))
        return
    kind = KINDS.get(_key(values.get("kind", "")))
    if kind is None:
        row.errors.append(
            _("tipo de equipo desconocido: «%(kind)s».") % {"kind": values.get("kind", "")[:40]}
        )
    dates: dict[str, dt.date | None] = {}
    for name in ("purchase_date", "warranty_end_date"):
        text = values.get(name, "")
        dates[name] = None
        if text:
            try:
                dates[name] = _date(text)
            except ValueError:
                row.errors.append(
                    _("la %(field)s «%(value)s» no es una fecha (use AAAA-MM-DD o DD/MM/AAAA).")
                    % {"field": FIELD_LABELS[name], "value": text[:20]}
                )
    owner = None
    if values.get("owner"):
        owner = (
            Person.objects.filter(organisation=organisation, full_name__iexact=values["owner"])
            .order_by("id")
            .first()
        )
        if owner is None:
            row.errors.append(
                _("«%(name)s» no es una persona de %(organisation)s.")
                % {"name": values["owner"][:80], "organisation": organisation}
            )
    attached_to = None
    if values.get("attached_to"):
        attached_to = Device.objects.filter(inventory_tag=values["attached_to"].upper()).first()
        if attached_to is None:
            row.errors.append(
                _("no existe el equipo con etiqueta %(tag)s.") % {"tag": values["attached_to"][:40]}
            )
    if kind is None:
        return
    data = devices.normalise(
        devices.DeviceData(
            organisation=organisation,
            kind=kind,
            brand=values.get("brand", ""),
            model=values.get("model", ""),
            serial_number=values.get("serial_number", ""),
            inventory_tag=values.get("inventory_tag", ""),
            owner=owner,
            location=values.get("location", ""),
            purchase_date=dates["purchase_date"],
            warranty_end_date=dates["warranty_end_date"],
            processor=values.get("processor", ""),
            memory=values.get("memory", ""),
            disk=values.get("disk", ""),
            operating_system=values.get("operating_system", ""),
            ip_address=values.get("ip_address", ""),
            mac_address=values.get("mac_address", ""),
            notes=values.get("notes", ""),
            attached_to=attached_to,
        )
    )
    for name, message in devices.problems(data).items():
        if name in ("owner", "attached_to") and row.errors:
            continue
        row.errors.append(f"{FIELD_LABELS.get(name, name)}: {message}")
    row.data = data


def row_messages(result: Preview) -> list[str]:
    return [
        _("Fila %(row)d: %(errors)s") % {"row": row.number, "errors": " ".join(row.errors)}
        for row in result.bad_rows
    ]


@transaction.atomic
def stage_import(
    *,
    actor: User,
    name: str,
    data: bytes,
    organisation: Organisation | None,
    now: dt.datetime,
) -> tuple[DeviceImport, Preview]:
    """Keep the upload and return its preview (bad rows named); nothing is imported yet."""
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa importa equipos."))
    result = preview(name, data, default_organisation=organisation)
    staged = DeviceImport.objects.create(
        organisation=organisation,
        file_name=name[:200],
        content=data,
        sha256=hashlib.sha256(data).hexdigest(),
        status=ImportStatus.PENDING,
        row_count=len(result.rows),
        created_by=actor,
        created_at=now,
    )
    return staged, result


@transaction.atomic
def confirm_import(*, actor: User, staged: DeviceImport, now: dt.datetime) -> list[Device]:
    """Register every row, or none: any bad row (checked again now) refuses the whole file."""
    if not actor.is_desk_staff:
        raise Forbidden(_("Solo el personal de la mesa importa equipos."))
    staged = DeviceImport.objects.select_for_update().get(pk=staged.pk)
    if staged.status != ImportStatus.PENDING:
        raise ImportError_(_("Ese archivo ya se importó."), code="already_imported")
    result = preview(
        staged.file_name, bytes(staged.content), default_organisation=staged.organisation
    )
    if not result.ok:
        messages = row_messages(result)
        raise ImportError_(
            _("No se importó ningún equipo: %(n)d filas con errores.") % {"n": len(messages)},
            code="bad_rows",
            rows=messages,
        )
    created = []
    for row in result.rows:
        assert row.data is not None
        created.append(devices.register_device(actor=actor, data=row.data, now=now))
    DeviceImport.objects.filter(pk=staged.pk).update(status=ImportStatus.IMPORTED, imported_at=now)
    return created
