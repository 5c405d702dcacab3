"""API of calls: the CTI webhook (Zammad's generic CTI, plus extended events and signed mode),
and QA: transcripts in, scorecards out (staff only)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from soporte.calls import cti, qa, services
from soporte.calls.events import CAUSES, parse_event
from soporte.calls.models import Call, Scorecard
from soporte.calls.services import access_call
from soporte.calls.services.common import agent_of
from soporte.directory.api import ErrorOut
from soporte.directory.models import User
from soporte.lib import clock
from soporte.lib.errors import DomainError, NotFound

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
                            "enum": [
                                "newCall",
                                "answer",
                                "hangup",
                                "hold",
                                "unhold",
                                "transfer",
                                "callback",
                            ],
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
                        "callerName": {"type": "string", "maxLength": 250},
                        "callerTold": {"type": "boolean"},
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


# --- QA: transcripts and scorecards (staff only; customers never see QA) ------------------


class TurnIn(Schema):
    speaker: str = Field(..., max_length=8, description="agent, caller o agent2")
    leg: str = Field(
        "caller",
        max_length=8,
        description="caller (la conversación con quien llama) o consult (la consulta entre "
        "agentes antes de una transferencia en caliente, que quien llama no oye)",
    )
    start_ms: int = Field(..., description="Milisegundos desde que se contestó la llamada")
    end_ms: int
    text: str  # up to qa.MAX_TURN_TEXT characters, checked by the service (turn_text_invalid)


class ScoreLineOut(Schema):
    rule: str
    name: str
    verdict: str
    evidence: str
    override: str | None
    comment: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    final: str


class ScorecardOut(Schema):
    call_id: int
    agent_id: int | None
    agent_name: str | None
    level: int | None
    score: float | None
    transcript_turns: int
    created_at: dt.datetime
    updated_at: dt.datetime
    lines: list[ScoreLineOut]

    @staticmethod
    def of(card: Scorecard) -> ScorecardOut:
        agent = card.agent
        return ScorecardOut(
            call_id=card.call_id,
            agent_id=card.agent_id,
            agent_name=agent.name if agent else None,
            level=card.level,
            score=card.score,
            transcript_turns=card.call.turns.count(),
            created_at=card.created_at,
            updated_at=card.updated_at,
            lines=[
                ScoreLineOut(
                    rule=ln.rule,
                    name=qa.rule_name(ln.rule),
                    verdict=ln.verdict,
                    evidence=ln.evidence,
                    override=ln.override or None,
                    comment=ln.comment,
                    reviewed_by=str(ln.reviewed_by) if ln.reviewed_by_id else None,
                    reviewed_at=ln.reviewed_at,
                    final=ln.final,
                )
                for ln in qa.ordered_lines(card)
            ],
        )


class CallOut(Schema):
    id: int
    call_id: str
    direction: str
    from_number: str
    to_number: str
    caller_name: str
    agent_id: int | None
    agent_name: str | None
    started_at: dt.datetime
    answered_at: dt.datetime | None
    ended_at: dt.datetime | None
    rings: int | None
    outcome: str
    score: float | None


def _staff(request: HttpRequest) -> User:
    """QA is the desk's internal business: to anyone else every call is missing (404)."""
    user = cast(User, request.user)
    if not user.is_desk_staff:
        raise NotFound(_("No existe esa llamada."))
    return user


def _scorecard(call: Call) -> Scorecard:
    card = Scorecard.objects.select_related("call", "agent__user").filter(call=call).first()
    if card is None:
        raise NotFound(_("Esta llamada aún no tiene evaluación."), code="not_scored")
    return card


@router.get("calls", response=list[CallOut], summary="Llamadas de un agente o de un día (personal)")
def list_calls(
    request: HttpRequest, agent: int | None = None, date: dt.date | None = None, limit: int = 100
) -> list[CallOut]:
    user = cast(User, request.user)
    if not user.is_desk_staff:
        return []
    calls = Call.objects.visible_to(user).select_related("agent__user", "scorecard")
    if agent is not None:
        calls = calls.filter(agent_id=agent)
    if date is not None:
        start = timezone.make_aware(dt.datetime.combine(date, dt.time()))
        calls = calls.filter(started_at__gte=start, started_at__lt=start + dt.timedelta(days=1))
    rows = calls.order_by("-started_at", "-id")[: max(1, min(limit, 500))]
    return [
        CallOut(
            id=c.pk,
            call_id=c.call_id,
            direction=c.direction,
            from_number=c.from_number,
            to_number=c.to_number,
            caller_name=c.caller_name,
            agent_id=c.agent_id,
            agent_name=c.agent.name if c.agent else None,
            started_at=c.started_at,
            answered_at=c.answered_at,
            ended_at=c.ended_at,
            rings=c.rings,
            outcome=c.outcome,
            score=getattr(getattr(c, "scorecard", None), "score", None),
        )
        for c in rows
    ]


@router.post(
    "calls/{call_id}/transcript",
    response={200: ScorecardOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Transcripción de una llamada terminada (reemplaza la anterior y vuelve a evaluar)",
)
def post_transcript(request: HttpRequest, call_id: int, turns: list[TurnIn]) -> ScorecardOut:
    user = _staff(request)
    call = access_call(user, call_id)
    card = qa.save_transcript(
        actor=user,
        call=call,
        turns=[qa.TurnData(t.speaker, t.start_ms, t.end_ms, t.text, t.leg) for t in turns],
        now=clock.now(),
    )
    return ScorecardOut.of(_scorecard(card.call))


@router.get(
    "calls/{call_id}/scorecard",
    response={200: ScorecardOut, 401: ErrorOut, 404: ErrorOut},
    summary="Evaluación de calidad de una llamada: una línea por regla",
)
def get_scorecard(request: HttpRequest, call_id: int) -> ScorecardOut:
    user = _staff(request)
    return ScorecardOut.of(_scorecard(access_call(user, call_id)))


# --- what the agent learns during the call (T3, H2), for a softphone or an IVR -------------


class CallerIn(Schema):
    caller_name: str = Field("", max_length=200)
    need: str = Field("", max_length=4000)


class CallerOut(Schema):
    id: int
    caller_name: str
    need: str


@router.post(
    "calls/{call_id}/caller",
    response={200: CallerOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Nombre de quien llama y su necesidad (T3), de la llamada que atiende el agente",
)
def post_caller(request: HttpRequest, call_id: int, payload: CallerIn) -> CallerOut:
    user = _staff(request)
    call = services.record_caller(
        actor=user,
        call=access_call(user, call_id),
        caller_name=payload.caller_name,
        need=payload.need,
        now=clock.now(),
    )
    return CallerOut(id=call.pk, caller_name=call.caller_name, need=call.need)


class CallbackIn(Schema):
    due_at: dt.datetime
    reason: str = Field(..., min_length=1, max_length=300)
    # The number to call; the call's own when left out.
    phone: str = Field("", max_length=64)


class CallbackOut(Schema):
    id: int
    call_id: int | None
    agent_id: int
    caller_name: str
    phone: str
    reason: str
    due_at: dt.datetime


@router.post(
    "calls/{call_id}/callback",
    response={201: CallbackOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Devolver la llamada más tarde, sin poner en espera (H2): a la lista del agente",
)
def post_callback(request: HttpRequest, call_id: int, payload: CallbackIn) -> Status[CallbackOut]:
    user = _staff(request)
    call = access_call(user, call_id)
    task = services.schedule_callback(
        actor=user,
        call=call,
        agent=agent_of(user),
        due_at=payload.due_at,
        reason=payload.reason,
        phone=payload.phone,
        now=clock.now(),
    )
    return Status(
        201,
        CallbackOut(
            id=task.pk,
            call_id=task.call_id,
            agent_id=task.agent_id,
            caller_name=task.caller_name,
            phone=task.phone,
            reason=task.reason,
            due_at=task.due_at,
        ),
    )
