"""The desk speaks Spanish unless a person chose English with the language switch; the API
answers errors in its JSON shape even where Django or django-ninja answer in text."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from soporte.lib.errors import error_body, is_database_busy


class DeskLanguageMiddleware:
    """Like LocaleMiddleware, but ignores the browser's Accept-Language: a desk in Mexico
    whose browsers ship in English still sees Spanish, until someone switches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ErrorAnswersMiddleware:
    """Errors answered as the client can use them. An unknown address under /api/ (404) or a
    method its address does not take (405) gets the API's error shape, like every other API
    error (soporte/api.py), not an HTML page. A write that waited past SQLite's busy timeout
    is a 503 that says the change was not saved and can be sent again, not the generic 500
    page (the API's own handler answers it for the API)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code in (404, 405)
            and request.path_info.startswith("/api/")
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            if response.status_code == 404:
                return _api_error(404, "not_found", _("No encontrado."))
            allowed = response.get("Allow", "")
            answer = _api_error(
                405,
                "method_not_allowed",
                _("Esta dirección no acepta el método %(method)s.") % {"method": request.method},
                {"allowed": [m.strip() for m in allowed.split(",") if m.strip()]},
            )
            answer["Allow"] = allowed
            return answer
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_busy(exception):
            return None
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "5"
        return response


def _api_error(status: int, code: str, message: str, details: Any = None) -> HttpResponse:
    """The API's error shape (`soporte.api` answers its own errors the same way)."""
    return HttpResponse(
        json.dumps(error_body(code, message, details)),
        status=status,
        content_type="application/json; charset=utf-8",
    )
