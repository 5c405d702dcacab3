from django.contrib import admin

from soporte.calls.models import GlossaryTerm, PhoneLine


@admin.register(PhoneLine)
class PhoneLineAdmin(admin.ModelAdmin):
    """Cadence, limits and blocked numbers; credentials only through `soporte cti_line`."""

    list_display = ("name", "cadence", "signed_only", "is_console", "active", "token_hint")
    readonly_fields = ("token_hint", "key_id", "is_console", "created_at")
    exclude = ("token_hash", "hmac_secret")


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ("term", "plain")
    search_fields = ("term",)
