"""API of the triage assistant: the same services and rules as the pages (desk staff only)."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from soporte.directory.api import ErrorOut
from soporte.directory.models import User
from soporte.lib import clock
from soporte.lib.errors import DomainError, Forbidden
from soporte.tickets.models import Ticket
from soporte.triage import engine, services
from soporte.triage.models import Suggestion, TriageSettings

router = Router(tags=["triage"])


class SuggestIn(Schema):
    # A call's need as typed in the console, or a draft ticket: judged on its beginning.
    text: str = Field(min_length=1, max_length=engine.MAX_TEXT)


class SuggestionOut(Schema):
    level: int
    confidence: float
    area: str
    priority: str
    words: list[str]
    by_rule: bool
    # False below the desk's threshold: a client shows nothing then.
    shown: bool
    model_version: int
    decision: str = "pending"


class DecisionIn(Schema):
    action: Literal["accept", "override"]
    level: int | None = Field(default=None, ge=1, le=4)
    area: str = Field(default="", max_length=40)
    priority: str = Field(default="", max_length=8)


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.is_desk_staff:
        raise Forbidden(_("El triaje es solo para la mesa de ayuda."), code="triage_forbidden")
    return user


def _out(suggestion: Suggestion, threshold: float) -> SuggestionOut:
    return SuggestionOut(
        level=suggestion.level,
        confidence=round(suggestion.confidence, 3),
        area=suggestion.area_code,
        priority=suggestion.priority,
        words=[str(w) for w in suggestion.words],
        by_rule=suggestion.by_rule,
        shown=services.is_shown(suggestion, threshold=threshold),
        model_version=suggestion.model_version.version,
        decision=suggestion.decision,
    )


def _suggestion(request: HttpRequest, number: int) -> Suggestion:
    user = _staff(request)
    ticket = get_object_or_404(Ticket.objects.visible_to(user), number=number)
    suggestion = services.suggestion_for(ticket=ticket, now=clock.now())
    if suggestion is None:
        raise DomainError(_("El ticket ya no está abierto."), code="not_open")
    return suggestion


@router.post(
    "triage/suggest",
    response={200: SuggestionOut, 403: ErrorOut, 422: ErrorOut},
    summary="Sugerir nivel, área y prioridad para un texto (la necesidad de una llamada)",
)
def suggest(request: HttpRequest, payload: SuggestIn) -> SuggestionOut:
    _staff(request)
    version, prediction = services.predict(payload.text, now=clock.now())
    threshold = TriageSettings.current().threshold
    return SuggestionOut(
        level=prediction.level,
        confidence=round(prediction.confidence, 3),
        area=prediction.area,
        priority=prediction.priority,
        words=list(prediction.words),
        by_rule=prediction.by_rule,
        shown=prediction.confidence >= threshold,
        model_version=version.version,
    )


@router.get(
    "tickets/{number}/triage",
    response={200: SuggestionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="La sugerencia de triaje de un ticket",
)
def ticket_suggestion(request: HttpRequest, number: int) -> SuggestionOut:
    return _out(_suggestion(request, number), TriageSettings.current().threshold)


@router.post(
    "tickets/{number}/triage",
    response={200: SuggestionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Aceptar la sugerencia o elegir otro nivel, área o prioridad",
)
def decide(request: HttpRequest, number: int, payload: DecisionIn) -> SuggestionOut:
    suggestion = _suggestion(request, number)
    if payload.action == "accept":
        choice = services.Choice(suggestion.level, suggestion.area_code, suggestion.priority)
    else:
        if payload.level is None:
            raise DomainError(_("Elija el nivel."), code="invalid_level")
        choice = services.Choice(payload.level, payload.area, payload.priority or "normal")
    decided = services.decide(
        suggestion=suggestion, actor=_staff(request), choice=choice, now=clock.now()
    )
    return _out(decided, TriageSettings.current().threshold)
