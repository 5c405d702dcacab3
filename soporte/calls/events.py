"""The CTI wire format: Zammad's generic CTI, unchanged, plus Soporte's extended events.

Parsing is pure (no database): a payload becomes a `CtiEvent` or a `CtiError` with a stable
code. Zammad sends `newCall`, `answer` and `hangup` as JSON or form data (`user[]` repeated);
Soporte adds `hold`/`unhold` (with the reason and the caller's choice, H1/H2), `callback`
(the caller chose to be called back instead of waiting, with `callbackAt`; no hold, H2),
`transfer` (blind or attended, the target, whether the consulting leg was answered, X2, and
`callerTold`: the caller was told of the transfer and why, T4, with the `reason`) and the
hangup `initiator` (C3). Any event may carry `callerName` (given to an IVR or typed by the
agent, T3). Optional `eventId` and `timestamp` make retries and clocks exact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.lib.errors import DomainError

ZAMMAD_EVENTS = ("newCall", "answer", "hangup")
EXTENDED_EVENTS = ("hold", "unhold", "transfer", "callback")
EVENTS = ZAMMAD_EVENTS + EXTENDED_EVENTS
CAUSES = (
    "normalClearing",
    "busy",
    "cancel",
    "noAnswer",
    "congestion",
    "notFound",
    "forwarded",
)
INITIATORS = ("caller", "agent")
TRANSFER_TYPES = ("blind", "attended")
HOLD_CHOICES = ("wait", "callback")
MAX_FIELD = 250
MAX_BODY_BYTES = 64 * 1024

# Signed mode: X-Soporte-Key, X-Soporte-Timestamp (Unix seconds), X-Soporte-Signature
# ("sha256=" + hex HMAC-SHA256 of "<timestamp>." + body). Accepted within ±5 minutes;
# a signature is accepted once.
SIGNATURE_WINDOW_SECONDS = 300
KEY_HEADER = "x-soporte-key"
TIMESTAMP_HEADER = "x-soporte-timestamp"
SIGNATURE_HEADER = "x-soporte-signature"


class CtiError(DomainError):
    code = "invalid_event"


class CtiAuthError(DomainError):
    status = 401
    code = "unauthenticated"


@dataclass(frozen=True)
class CtiEvent:
    kind: str
    call_id: str
    direction: str = ""
    from_number: str = ""
    to_number: str = ""
    users: tuple[str, ...] = ()
    queue: str = ""
    cause: str = ""
    answering_number: str = ""
    at: dt.datetime | None = None
    event_id: str = ""
    initiator: str = ""
    reason: str = ""
    choice: str = ""
    callback_at: dt.datetime | None = None
    transfer_type: str = ""
    target: str = ""
    consult_answered: bool | None = None
    consult_seconds: float | None = None
    caller_name: str = ""
    caller_told: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


def _text(data: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, list):
            value = value[0] if value else ""
        value = str(value).strip()
        if len(value) > MAX_FIELD:
            raise CtiError(
                _("El campo %(field)s es demasiado largo.") % {"field": name},
                code="field_too_long",
                field=name,
            )
        return value
    return ""


def _users(data: Mapping[str, Any], form_users: list[str] | None) -> tuple[str, ...]:
    raw: Any = form_users if form_users else data.get("user", data.get("user[]"))
    if raw is None or raw == "":
        return ()
    values = raw if isinstance(raw, list) else [raw]
    return tuple(str(v).strip()[:MAX_FIELD] for v in values if str(v).strip())


def _bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "si", "sí", "on")


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Epoch seconds or milliseconds, or ISO 8601; truncated to milliseconds."""
    if value is None or value == "":
        return None
    moment: dt.datetime | None
    if isinstance(value, int | float) or (isinstance(value, str) and _is_number(value)):
        number = float(value)
        if number > 1e11:  # milliseconds
            number /= 1000.0
        moment = dt.datetime.fromtimestamp(number, tz=dt.UTC)
    else:
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
    if moment is None:
        raise CtiError(_("La marca de tiempo no es válida."), code="invalid_timestamp")
    return truncate_ms(moment)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def truncate_ms(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_event(data: Mapping[str, Any], *, form_users: list[str] | None = None) -> CtiEvent:
    """Validate one event payload (JSON object or form fields)."""
    kind = _text(data, "event")
    if kind not in EVENTS:
        raise CtiError(
            _("Evento desconocido: %(event)s.") % {"event": kind or "—"},
            code="unknown_event",
            allowed=list(EVENTS),
        )
    call_id = _text(data, "callId", "call_id")
    if not call_id:
        raise CtiError(_("Falta callId."), code="call_id_required")
    direction = _text(data, "direction")
    if (kind == "newCall" or direction) and direction not in ("in", "out"):
        # Zammad answers exactly this for a bad direction.
        raise CtiError("Invalid direction!", code="invalid_direction")
    cause = _text(data, "cause")
    if cause and cause not in CAUSES:
        raise CtiError(
            _("Causa de colgado desconocida: %(cause)s.") % {"cause": cause},
            code="invalid_cause",
            allowed=list(CAUSES),
        )
    initiator = _text(data, "initiator")
    if initiator and initiator not in INITIATORS:
        raise CtiError(_("Quién colgó debe ser caller o agent."), code="invalid_initiator")
    transfer_type = _text(data, "type", "transferType")
    target = _text(data, "target")
    if kind == "transfer":
        if transfer_type not in TRANSFER_TYPES:
            raise CtiError(
                _("El tipo de transferencia debe ser blind o attended."),
                code="invalid_transfer_type",
            )
        if not target:
            raise CtiError(_("Falta el destino de la transferencia."), code="target_required")
    callback_at = parse_timestamp(data.get("callbackAt"))
    if kind == "callback" and callback_at is None:
        raise CtiError(
            _("Falta callbackAt: la hora a la que devolver la llamada."),
            code="callback_time_required",
        )
    choice = _text(data, "choice")
    if choice and choice not in HOLD_CHOICES:
        raise CtiError(_("La elección de espera debe ser wait o callback."), code="invalid_choice")
    consult_seconds_raw = data.get("consultSeconds")
    consult_seconds: float | None = None
    if consult_seconds_raw not in (None, ""):
        try:
            consult_seconds = max(0.0, float(str(consult_seconds_raw)))
        except ValueError:
            raise CtiError(
                _("consultSeconds debe ser un número."), code="invalid_consult_seconds"
            ) from None
    raw = {
        k: (v if isinstance(v, str | int | float | bool | list) else str(v))
        for k, v in data.items()
    }
    if form_users:
        raw["user"] = list(form_users)
    return CtiEvent(
        kind=kind,
        call_id=call_id,
        direction=direction,
        from_number=_text(data, "from"),
        to_number=_text(data, "to"),
        users=_users(data, form_users),
        queue=_text(data, "queue"),
        cause=cause,
        answering_number=_text(data, "answeringNumber"),
        at=parse_timestamp(data.get("timestamp")),
        event_id=_text(data, "eventId", "event_id"),
        initiator=initiator,
        reason=_text(data, "reason"),
        choice=choice,
        callback_at=callback_at,
        transfer_type=transfer_type,
        target=target,
        consult_answered=_bool(data.get("answered")),
        consult_seconds=consult_seconds,
        caller_name=_text(data, "callerName", "caller_name"),
        caller_told=_bool(data.get("callerTold", data.get("caller_told"))),
        raw=raw,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def check_signature(
    *, secret: str, timestamp: str, signature: str, body: bytes, now: dt.datetime
) -> str:
    """Return the signature digest (the replay key) or raise CtiAuthError."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise CtiAuthError(
            _("Marca de tiempo de la firma inválida."), code="bad_timestamp"
        ) from None
    if abs(now.timestamp() - sent_at) > SIGNATURE_WINDOW_SECONDS:
        raise CtiAuthError(
            _("La petición firmada es demasiado antigua o viene del futuro."),
            code="stale_timestamp",
        )
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip()):
        raise CtiAuthError(_("Firma inválida."), code="bad_signature")
    return expected.removeprefix("sha256=")
