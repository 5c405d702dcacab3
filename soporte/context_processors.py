from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def desk(request: HttpRequest) -> dict[str, Any]:
    return {
        "DESK_NAME": settings.DESK_NAME,
        "DESK_TIME_ZONE": settings.TIME_ZONE,
        "LANGUAGE_NEXT": language_next(request),
    }


def language_next(request: HttpRequest) -> str:
    """Where the language switch returns to: this page, or, on a page that answers a form (a
    refused note, escalation or reply, whose address takes only POST), the page the form
    was on."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.META.get("HTTP_REFERER", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return "/"
