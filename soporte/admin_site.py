"""The Django admin, open to administrators only (a role, not the is_staff flag alone)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class SoporteAdminSite(admin.AdminSite):
    site_header = "Soporte · administración"
    site_title = "Soporte"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and getattr(user, "role", None) == "admin" and user.is_staff)


class SoporteAdminConfig(AdminConfig):
    default_site = "soporte.admin_site.SoporteAdminSite"
