"""API of calls: the CTI webhook (Zammad's generic CTI, plus extended events and signed mode)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Router

from soporte.calls import cti
from soporte.calls.events import CAUSES, parse_event
from soporte.lib.errors import DomainError

router = Router(tags=["llamadas"])

CTI_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["event", "callId"],
                    "properties": {
                        "event": {
                            "type": "string",
                            "enum": ["newCall", "answer", "hangup", "hold", "unhold", "transfer"],
                        },
                        "callId": {"type": "string", "maxLength": 250},
                        "from": {"type": "string"},
                        "to": {"type": "string"},
                        "direction": {"type": "string", "enum": ["in", "out"]},
                        "user": {
                            "oneOf": [
                                {"type": "string"},
                                {"type": "array", "items": {"type": "string"}},
                            ]
                        },
                        "queue": {"type": "string"},
                        "cause": {
                            "type": "string",
                            "enum": list(CAUSES),
                        },
                        "answeringNumber": {"type": "string"},
                        "initiator": {"type": "string", "enum": ["caller", "agent"]},
                        "reason": {"type": "string"},
                        "choice": {"type": "string", "enum": ["wait", "callback"]},
                        "callbackAt": {"type": "string"},
                        "type": {"type": "string", "enum": ["blind", "attended"]},
                        "target": {"type": "string"},
                        "answered": {"type": "boolean"},
                        "consultSeconds": {"type": "number"},
                        "eventId": {"type": "string"},
                        "timestamp": {"type": "string"},
                    },
                }
            },
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
        },
    },
    "responses": {
        200: {
            "description": '`{}`, `{"action": "reject", "reason": "busy"}` or '
            '`{"action": "dial", "caller_id": …, "number": …}`',
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
}


def _request(request: HttpRequest, token: str | None) -> cti.Request:
    headers = {k.lower(): v for k, v in request.headers.items()}
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        data = request.POST
        users = data.getlist("user[]") + data.getlist("user")
        try:
            event = parse_event(
                {k: data.get(k) for k in data if k not in ("user[]", "user")}, form_users=users
            )
            return cti.Request(token, headers, b"", event, None, timezone.now())
        except DomainError as exc:
            return cti.Request(token, headers, b"", None, exc, timezone.now())
    return cti.make_request(
        token=token, headers=headers, body=request.body, content_type=content_type
    )


def _answer(request: HttpRequest, token: str | None) -> HttpResponse:
    status, payload = cti.process([_request(request, token)], now=timezone.now())[0]
    return JsonResponse(payload, status=status)


@router.post(
    "/cti/{token}",
    auth=None,
    openapi_extra=CTI_BODY,
    summary="Evento CTI (formato genérico de Zammad; el token de la URL autentica)",
)
def cti_with_token(request: HttpRequest, token: str) -> Any:
    return _answer(request, token)


@router.post(
    "/cti",
    auth=None,
    openapi_extra=CTI_BODY,
    summary="Evento CTI firmado (X-Soporte-Key, X-Soporte-Timestamp, X-Soporte-Signature)",
)
def cti_signed(request: HttpRequest) -> Any:
    return _answer(request, None)
