"""The API root: authentication, the stable error shape and every app's router.

Errors always look like `{"error": {"code": str, "message": str, "details": {...}}}`.
People use their session (with CSRF); machines send `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import logging
from typing import Any

import ninja.parser
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth
from ninja.types import DictStrAny

from soporte.calls.api import router as calls_router
from soporte.directory import signin
from soporte.directory.api import router as directory_router
from soporte.directory.services import authenticate_token
from soporte.inventory.api import router as inventory_router
from soporte.knowledge.api import router as knowledge_router
from soporte.lib import clock, limits
from soporte.lib.errors import DomainError, error_body, is_database_busy
from soporte.logbook.api import router as logbook_router
from soporte.reports.api import router as reports_router
from soporte.tickets.api import router as tickets_router
from soporte.triage.api import router as triage_router
from soporte.workshop.api import router as workshop_router

log = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        # Wrong tokens count like wrong passwords (django-axes, per address): past the limit
        # the address is locked out and axes' middleware answers 429.
        if not signin.token_allowed(request, token):
            return None
        user = authenticate_token(token, now=clock.now())
        if user is None:
            signin.token_failed(request, token)
            return None
        request.user = user
        return user


class Parser(ninja.parser.Parser):
    """django-ninja's parser, refusing text no database can store (a NUL, which PostgreSQL's
    text cannot hold, or a lone surrogate, which UTF-8 cannot encode) anywhere in a JSON body
    or a query string, keys included, as invalid input (`lib.limits.text_problem`). The
    pages' forms refuse the same."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        data = super().parse_body(request)
        _refuse_bad_text(data, ["body"])
        return data

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        values = super().parse_querydict(data, list_fields, request)
        _refuse_bad_text(values, ["query"])
        return values


def _refuse_bad_text(value: Any, loc: list[str]) -> None:
    found = limits.find_text_problem(value, loc)
    if found:
        where, problem = found
        raise NinjaValidationError([{"loc": where, "msg": problem}])


# --- Errors every operation may answer (pdfs helper, issue #19 item 8) ----------------------
# django-ninja documents what a view declares; these come from the layers around every view
# (the token check, the parser, the body-size middleware, axes' lockout), so they are added to
# each operation they can happen to, with the API's error shape (schemathesis checks that
# every status the API answers is documented: tests/security/test_openapi_fuzz.py).
ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
COMMON_ERRORS = {
    400: ("body", _("El cuerpo no se pudo leer (JSON mal formado).")),
    401: ("auth", _("Falta la autenticación o no es válida.")),
    413: ("body", _("El cuerpo pasa del tamaño permitido.")),
    422: ("input", _("Los datos enviados no son válidos.")),
    429: ("auth", _("Demasiados intentos fallidos desde esta dirección; espere.")),
}


class SoporteAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        document_common_errors(schema)
        return schema


def document_common_errors(schema: Any) -> None:
    has_error_shape = "ErrorOut" in schema.get("components", {}).get("schemas", {})
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            applies = {
                "auth": bool(operation.get("security")) or "/cti" in path,
                "body": "requestBody" in operation,
                "input": "requestBody" in operation or bool(operation.get("parameters")),
            }
            responses = operation.setdefault("responses", {})
            for status, (when, description) in COMMON_ERRORS.items():
                # django-ninja keys responses by int; the document's JSON has them as strings.
                if applies[when] and status not in responses and str(status) not in responses:
                    answer: dict[str, Any] = {"description": str(description)}
                    if has_error_shape:
                        answer["content"] = ERROR_REF
                    responses[status] = answer


# --- end of the common errors ---------------------------------------------------------------


api = SoporteAPI(
    title="Soporte API",
    version="1",
    description=_("API de Soporte: mesa de ayuda, bitácora, llamadas."),
    auth=[BearerToken(), django_auth],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    parser=Parser(),
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, details: Any = None
) -> HttpResponse:
    return api.create_response(request, error_body(code, message, details), status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return error_response(request, exc.status, exc.code, str(exc.message), exc.details)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = [
        {"loc": [str(p) for p in err.get("loc", [])], "msg": str(err.get("msg", ""))}
        for err in exc.errors
    ]
    return error_response(
        request, 422, "invalid_input", _("Los datos enviados no son válidos."), {"errors": details}
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "unauthenticated", _("Se requiere autenticación."))


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("No encontrado."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, NinjaValidationError):
        # django-ninja turns whatever the parser raises into "400 Cannot parse request body";
        # the parser's own refusals (`Parser`) are invalid input like any other.
        return on_validation_error(request, exc.__cause__)
    return error_response(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Exception)
def on_server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        # The middleware refuses a declared length; this is a body that did not declare one.
        return error_response(request, 413, "too_large", _("Lo enviado es demasiado grande."), {})
    if is_database_busy(exc):
        busy = error_response(
            request,
            503,
            "database_busy",
            _("La base de datos está ocupada: el cambio no se guardó; envíelo de nuevo."),
        )
        busy["Retry-After"] = "5"
        return busy
    if settings.DEBUG:
        raise exc
    log.exception("API error on %s", request.path)
    return error_response(request, 500, "server_error", _("Error interno del servidor."))


def _register_routers() -> None:
    api.add_router("/v1/", directory_router)
    api.add_router("/v1/", logbook_router)
    api.add_router("/v1/", tickets_router)
    api.add_router("/v1/", calls_router)
    api.add_router("/v1/", inventory_router)
    api.add_router("/v1/", workshop_router)
    api.add_router("/v1/", reports_router)
    api.add_router("/v1/", knowledge_router)
    api.add_router("/v1/", triage_router)


_register_routers()
