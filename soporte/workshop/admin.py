"""The admin: the shop's data and rules (IVA, minor-work limit, warranty) are edited here;
repairs, sales and expenses are read-only (a sale is answered by a refund, an expense by a
correcting one, on the pages or through the API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from soporte.workshop.models import Expense, Repair, Sale, WorkshopSettings


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkshopSettings)
class WorkshopSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "shop_name", "vat_basis_points", "minor_work_limit", "warranty_days")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not WorkshopSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Repair)
class RepairAdmin(ReadOnlyAdmin):
    list_display = ("folio", "organisation", "device", "status", "received_at", "repaired_by")
    list_filter = ("status",)


@admin.register(Sale)
class SaleAdmin(ReadOnlyAdmin):
    list_display = ("folio", "kind", "sold_at", "subtotal", "tax", "total", "cost")
    list_filter = ("kind", "payment_method")


@admin.register(Expense)
class ExpenseAdmin(ReadOnlyAdmin):
    list_display = ("incurred_date", "category", "description", "amount")
    list_filter = ("category",)
