"""The admin shows the bitácora read-only: entries are never changed or deleted."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from soporte.logbook.models import Checkpoint, Entry, Logbook, Signature


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)


@admin.register(Logbook)
class LogbookAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "organisation", "head_number", "opened_at", "closed_at")


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("logbook", "number", "kind", "created_at", "author_name", "summary")
    list_filter = ("kind", "logbook")


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ("entry", "signer_name", "role", "method", "signed_at")


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("logbook", "number", "head_hash", "created_at")
