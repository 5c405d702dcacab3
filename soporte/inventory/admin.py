"""The admin: the desk's stock rules, suppliers and locations are edited here; the ledger and
everything derived from it are read-only (a movement is corrected by a reversal, on the
pages or through the API), and a device is retired, never deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from soporte.inventory.models import (
    Device,
    InventorySettings,
    Location,
    PurchaseOrder,
    StockBalance,
    StockCount,
    StockItem,
    StockMovement,
    StockReceipt,
    Supplier,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InventorySettings)
class InventorySettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "default_cost_method", "allow_negative_stock")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not InventorySettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_id", "contact_name", "phone", "is_active")
    search_fields = ("name", "tax_id")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "organisation", "is_active")
    list_filter = ("kind", "is_active")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    """Devices are registered and changed on the pages (the rules live in `devices`)."""

    list_display = (
        "inventory_tag",
        "organisation",
        "kind",
        "brand",
        "model",
        "serial_number",
        "retired_at",
    )
    list_filter = ("kind", "organisation")
    search_fields = ("inventory_tag", "serial_number", "brand", "model")


@admin.register(StockItem)
class StockItemAdmin(ReadOnlyAdmin):
    list_display = (
        "sku",
        "name",
        "brand",
        "unit",
        "serialised",
        "cost_method",
        "reorder_point",
        "target_level",
    )
    search_fields = ("sku", "name", "barcode")


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "occurred_at",
        "kind",
        "item",
        "location",
        "quantity",
        "value_avg",
        "value_fifo",
    )
    list_filter = ("kind", "location")
    search_fields = ("item__sku", "reference")


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdmin):
    list_display = ("item", "location", "on_hand", "value_avg", "value_fifo", "last_movement_at")


@admin.register(StockReceipt)
class StockReceiptAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "supplier", "invoice_number", "location", "received_by")


@admin.register(StockCount)
class StockCountAdmin(ReadOnlyAdmin):
    list_display = ("id", "location", "status", "created_by", "approved_by", "approved_at")


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "supplier", "status", "created_at")
