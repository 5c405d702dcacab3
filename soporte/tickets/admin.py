"""Where an administrator sets the desk's SLA: policies per level and priority, the working
calendar and the holidays. A change re-checks every open ticket's clocks (apps.py)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from soporte.tickets.models import DeskCalendar, Holiday, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "level",
        "priority",
        "first_response_minutes",
        "next_update_minutes",
        "resolution_minutes",
        "escalate_on_breach",
    )
    list_filter = ("level", "priority", "escalate_on_breach")
    ordering = ("level", "priority")


@admin.register(DeskCalendar)
class DeskCalendarAdmin(admin.ModelAdmin):
    list_display = ("weekdays", "opens", "closes", "lunch_from", "lunch_to")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One calendar: the clocks read the first row, so a second one would be ignored.
        return super().has_add_permission(request) and not DeskCalendar.objects.exists()


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ("day_date", "name")
    date_hierarchy = "day_date"
    ordering = ("-day_date",)
    search_fields = ("name",)
