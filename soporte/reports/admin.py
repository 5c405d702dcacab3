from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from soporte.reports.models import MetricSettings


@admin.register(MetricSettings)
class MetricSettingsAdmin(admin.ModelAdmin):
    """The desk's metric definitions: one row, never deleted (reports would lose their basis)."""

    list_display = (
        "__str__",
        "answer_target_seconds",
        "short_abandon_seconds",
        "abandons_in_service_level",
        "short_abandons_in_service_level",
        "short_abandons_in_abandon_rate",
    )
    readonly_fields = ("updated_at", "updated_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not MetricSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from soporte.lib import clock

        obj.updated_at = clock.now()
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
