"""The desk speaks Spanish unless a person chose English with the language switch; the API
answers errors in its JSON shape even where Django or django-ninja answer in text."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from soporte.lib import limits
from soporte.lib.errors import error_body, is_database_busy
from soporte.lib.params import MAX_ID, parse_id


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


class InputLimitsMiddleware:
    """Every request within its sizes before a view runs (issue #19, defects 6 and 7).

    - A body larger than its limit is refused from its Content-Length, unread: multipart
      uploads against the per-request upload limit, anything else against the JSON/form body
      limit. 413, in the API's error shape under /api/, a Spanish page elsewhere.
    - A multipart body is parsed here, through `limits.LimitedUploadHandler`, which stops at
      the first file past the per-file limit: 413 too, and the view never runs.
    - An id in the URL beyond the database's integers is a 404 (SQLite raises OverflowError
      on it), like any id that names nothing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            return _refuse(request, 400, "invalid_length", _("La longitud declarada no es válida."))
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = limits.upload_max_request_bytes() if multipart else limits.api_body_max_bytes()
        if length > limit:
            return _refuse(
                request,
                413,
                "too_large",
                _("Lo enviado pesa %(size)s MB; el límite es %(limit)d MB.")
                % {"size": f"{length / 2**20:.1f}", "limit": limit // 2**20},
                {"limit_bytes": limit, "content_length": length},
            )
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        if any(_out_of_range(value) for value in [*args, *kwargs.values()]):
            raise Http404
        if request.method == "POST" and request.META.get("CONTENT_TYPE", "").startswith(
            "multipart/"
        ):
            request.POST  # noqa: B018 - parsed here, through the limited upload handler
            refused = getattr(request, "upload_refused", None)
            if refused:
                return _refuse(request, 413, "file_too_large", refused)
        return None


class NoStoreWhenSignedInMiddleware:
    """`Cache-Control: no-store` on every answer to a signed-in person (pages, PDFs,
    attachments, API reads): a shared computer's back button or a proxy never shows one
    person's data to the next. Anonymous pages keep whatever caching they chose."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store, private"
        return response


def _out_of_range(value: Any) -> bool:
    """An id (an int, or digits as the API's paths pass them) no database integer holds."""
    if isinstance(value, int):
        return not -MAX_ID <= value <= MAX_ID
    return (
        isinstance(value, str) and value.isascii() and value.isdigit() and parse_id(value) is None
    )


def _refuse(
    request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return _api_error(status, code, message, details)
    if status != 413:
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    # Standalone (no layout): the request has no user yet when it is refused unread.
    page = render_to_string(
        "413.html", {"message": message, "language": translation.get_language()}
    )
    return HttpResponse(page, status=status)


def _api_error(status: int, code: str, message: str, details: Any = None) -> HttpResponse:
    """The API's error shape (`soporte.api` answers its own errors the same way)."""
    return HttpResponse(
        json.dumps(error_body(code, message, details)),
        status=status,
        content_type="application/json; charset=utf-8",
    )
