"""Exports of the inventory (CSV, XLSX, PDF) through `soporte.lib.exports`, which neutralises
spreadsheet formulas: a serial number typed as `=HYPERLINK(…)` stays text.

The same filters as the pages, through the same access gates: a customer exports only their
organisation's devices; stock and the ledger are the desk's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from soporte.inventory import reads, services
from soporte.inventory.models import InventorySettings, StockItem
from soporte.lib import exports
from soporte.lib.exports import Column


def _format(fmt: str) -> str:
    if fmt not in exports.FORMATS:
        raise Http404
    return fmt


def _respond(fmt: str, **kwargs: Any) -> HttpResponse | StreamingHttpResponse:
    try:
        return exports.export_response(_format(fmt), **kwargs)
    except exports.ExportTooLarge as exc:
        return HttpResponse(str(exc), status=422, content_type="text/plain; charset=utf-8")


def device_columns() -> list[Column]:
    return [
        Column("inventory_tag", _("Etiqueta")),
        Column("organisation", _("Organización")),
        Column("kind", _("Tipo")),
        Column("brand", _("Marca")),
        Column("model", _("Modelo")),
        Column("serial_number", _("Número de serie")),
        Column("owner", _("Responsable")),
        Column("location", _("Ubicación")),
        Column("purchase_date", _("Fecha de compra"), "date"),
        Column("warranty_end_date", _("Fin de la garantía"), "date"),
        Column("operating_system", _("Sistema operativo")),
        Column("ip_address", _("IP")),
        Column("retired_at", _("Dado de baja"), "datetime"),
    ]


@login_required
def devices_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    from soporte.inventory.views import device_queryset

    queryset = device_queryset(request)

    def rows() -> Any:
        for device in queryset.iterator(chunk_size=2000):
            yield {
                "inventory_tag": device.inventory_tag,
                "organisation": device.organisation.name,
                "kind": device.get_kind_display(),
                "brand": device.brand,
                "model": device.model,
                "serial_number": device.serial_number,
                "owner": device.owner.full_name if device.owner else "",
                "location": device.location,
                "purchase_date": device.purchase_date,
                "warranty_end_date": device.warranty_end_date,
                "operating_system": device.operating_system,
                "ip_address": device.ip_address,
                "retired_at": device.retired_at,
            }

    return _respond(fmt, name="equipos", title=_("Equipos"), columns=device_columns(), rows=rows)


def _staff(request: HttpRequest) -> None:
    if not getattr(request.user, "is_desk_staff", False):
        raise PermissionDenied


def stock_columns() -> list[Column]:
    return [
        Column("sku", _("SKU")),
        Column("name", _("Artículo")),
        Column("unit", _("Unidad")),
        Column("on_hand", _("Existencia"), "decimal"),
        Column("method", _("Método de costo")),
        Column("value", _("Valor"), "decimal"),
        Column("value_avg", _("Valor (promedio)"), "decimal"),
        Column("value_fifo", _("Valor (PEPS)"), "decimal"),
        Column("reorder_point", _("Punto de reorden"), "decimal"),
        Column("target_level", _("Nivel objetivo"), "decimal"),
        Column("last_movement_at", _("Último movimiento"), "datetime"),
    ]


@login_required
def stock_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The inventory-control logbook as a table: what is stored, how much, its value."""
    _staff(request)
    default = InventorySettings.current().default_cost_method
    levels = reads.levels_by_item()

    def rows() -> Any:
        for item in StockItem.objects.order_by("sku").iterator(chunk_size=2000):
            level = levels.get(item.pk)
            method = item.cost_method or default
            yield {
                "sku": item.sku,
                "name": item.name,
                "unit": item.unit,
                "on_hand": level.on_hand if level else 0,
                "method": services.method_label(method),
                "value": level.value(method) if level else 0,
                "value_avg": level.value_avg if level else 0,
                "value_fifo": level.value_fifo if level else 0,
                "reorder_point": item.reorder_point,
                "target_level": item.target_level,
                "last_movement_at": level.last_movement_at if level else None,
            }

    return _respond(
        fmt, name="existencias", title=_("Existencias"), columns=stock_columns(), rows=rows
    )


def movement_columns() -> list[Column]:
    return [
        Column("id", _("Movimiento"), "int"),
        Column("occurred_at", _("Fecha"), "datetime"),
        Column("kind", _("Tipo")),
        Column("sku", _("SKU")),
        Column("item", _("Artículo")),
        Column("location", _("Ubicación")),
        Column("quantity", _("Cantidad"), "decimal"),
        Column("unit_cost", _("Costo unitario"), "decimal"),
        Column("value", _("Valor"), "decimal"),
        Column("reference", _("Referencia")),
        Column("reason", _("Motivo")),
        Column("created_by", _("Registró")),
    ]


@login_required
def movements_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    from soporte.inventory.views import movement_queryset

    _staff(request)
    queryset = movement_queryset(request)

    def rows() -> Any:
        for movement in queryset.iterator(chunk_size=2000):
            yield {
                "id": movement.pk,
                "occurred_at": movement.occurred_at,
                "kind": movement.get_kind_display(),
                "sku": movement.item.sku,
                "item": movement.item.name,
                "location": str(movement.location),
                "quantity": movement.quantity,
                "unit_cost": movement.unit_cost,
                "value": movement.value,
                "reference": movement.reference,
                "reason": movement.reason,
                "created_by": str(movement.created_by),
            }

    return _respond(
        fmt,
        name="movimientos",
        title=_("Movimientos de almacén"),
        columns=movement_columns(),
        rows=rows,
    )
