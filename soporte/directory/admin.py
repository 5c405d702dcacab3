from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from soporte.directory.models import (
    Agent,
    ApiToken,
    Area,
    Certification,
    Organisation,
    Person,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Soporte", {"fields": ("role", "organisation", "phone")}),
    )
    list_display = ("username", "first_name", "last_name", "email", "role", "organisation")
    list_filter = ("role", "is_active")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_id", "phone", "is_active")
    search_fields = ("name", "tax_id")


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("full_name", "organisation", "contact_role", "email", "phone")
    list_filter = ("organisation", "contact_role")
    search_fields = ("full_name", "email", "phone")


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("user", "level", "presence", "level_flagged_at")
    list_filter = ("level", "presence")
    inlines = [CertificationInline]
    # The level-4 rule lives in services.set_agent_level; the admin must not bypass it.
    readonly_fields = ("level", "level_flagged_at", "level_flag_reason")


admin.site.register(Area)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
