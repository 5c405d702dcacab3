"""What the customer follows a repair by: its portal address (the receipt's QR code, the
e-mails) and whether they signed its intake. Shared by the use cases, the receipts and the
jobs without either importing the other."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from soporte.logbook.models import Entry
from soporte.workshop.models import Repair


def portal_url(repair: Repair) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("workshop:repair_detail", args=[repair.pk])


def is_signed(entry: Entry | None) -> bool:
    return entry is not None and entry.signatures.exclude(method="on_create").exists()
