"""The CTI endpoint's rules: `POST /api/v1/cti/{token}` (Zammad mode) and `POST /api/v1/cti`
(signed): parsing a post, authenticating its line, refusing replays, applying a batch.

Two doors, one room. Under `soporte run` the ASGI server answers CTI posts itself
(`soporte.calls.endpoint`): it parses the body on the event loop and hands the request to a
batch writer (`soporte.calls.writer`), which applies every event waiting at that moment in one
transaction and answers each sender after the commit (group commit: a burst costs one fsync,
not one each). Everywhere else (the Django test client, a WSGI deployment) the API view
applies the event by itself. Both go through `process()`, so the rules are the same.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.calls import services
from soporte.calls.events import (
    KEY_HEADER,
    MAX_BODY_BYTES,
    SIGNATURE_HEADER,
    SIGNATURE_WINDOW_SECONDS,
    TIMESTAMP_HEADER,
    CtiAuthError,
    CtiError,
    CtiEvent,
    check_signature,
    parse_event,
    token_hash,
)
from soporte.calls.models import EventSource, PhoneLine, SignedNonce
from soporte.lib import errors, limits, refcache
from soporte.lib.errors import DomainError

log = logging.getLogger(__name__)

LINE_CACHE_SECONDS = 5.0


def error_body(exc: DomainError) -> dict[str, Any]:
    return errors.error_body(exc.code, str(exc.message), exc.details)


# --- Parsing (pure) --------------------------------------------------------------------------


def parse_body(content_type: str, body: bytes) -> CtiEvent:
    """JSON (Zammad's recommendation) or form-urlencoded with repeated `user[]`."""
    if len(body) > MAX_BODY_BYTES:
        raise CtiError(_("El cuerpo de la petición es demasiado grande."), code="too_large")
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" or (not kind and body[:1] == b"{"):
        try:
            # NaN, Infinity and numbers past a float's range (1e400) are not numbers a PBX
            # means: refused here, as invalid JSON, before any rule reads them.
            data = json.loads(
                body or b"{}", parse_constant=_refuse_constant, parse_float=_finite_float
            )
        except (ValueError, UnicodeDecodeError):
            raise CtiError(_("El cuerpo no es JSON válido."), code="invalid_json") from None
        if not isinstance(data, dict):
            raise CtiError(_("Se esperaba un objeto JSON."), code="invalid_json")
        return _parse_checked(data)
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise CtiError(_("El formulario no está en UTF-8."), code="invalid_form") from None
        users = fields.pop("user[]", []) + fields.pop("user", [])
        return _parse_checked({k: v[-1] for k, v in fields.items()}, form_users=users)
    raise CtiError(
        _("Tipo de contenido no admitido: %(type)s.") % {"type": kind},
        code="unsupported_media_type",
    )


def _refuse_constant(name: str) -> float:
    raise ValueError(name)


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _parse_checked(data: dict[str, Any], form_users: list[str] | None = None) -> CtiEvent:
    """`events.parse_event`, after refusing text no database stores (a NUL, a lone
    surrogate, keys included): the event alone is answered 422, never its batch. A value
    the rules cannot turn into a time or a number (a timestamp of year 10000, a float NaN
    in a form) is invalid input too, not a server error."""
    found = limits.find_text_problem(data, []) or limits.find_text_problem(
        form_users or [], ["user[]"]
    )
    if found:
        where, problem = found
        raise CtiError(problem, code="invalid_text", field=".".join(where))
    try:
        return parse_event(data, form_users=form_users)
    except (ValueError, OverflowError, OSError):
        raise CtiError(
            _("El evento tiene un valor fuera de rango (una fecha o un número)."),
            code="out_of_range",
        ) from None


# --- Authentication and processing (database, in one thread) --------------------------------


@refcache.reference(PhoneLine, seconds=LINE_CACHE_SECONDS, max_entries=10_000)
def line_by(kind: str, value: str) -> PhoneLine | None:
    """An active line by token hash (`kind` "token") or key id ("key"), re-read every few
    seconds (revocation applies fast); unknown values are remembered too (as None)."""
    query = PhoneLine.objects.filter(active=True, is_console=False)
    if kind == "token":
        return query.filter(token_hash=value).first()
    return query.filter(key_id=value).exclude(hmac_secret="").first()


@dataclass
class Request:
    """One CTI post as received."""

    token: str | None
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    event: CtiEvent | None
    error: DomainError | None
    received_at: dt.datetime
    content_type: str = "application/json"


def authenticate(req: Request, *, now: dt.datetime) -> tuple[PhoneLine, str]:
    """The line and, in signed mode, the signature digest (the replay key)."""
    if req.token is not None:
        line = line_by("token", token_hash(req.token)) if req.token else None
        if line is None:
            raise CtiAuthError("Invalid token, please contact your admin!", code="invalid_token")
        if line.signed_only:
            raise CtiAuthError(
                _("Esta línea solo acepta peticiones firmadas."), code="signature_required"
            )
        return line, ""
    key = req.headers.get(KEY_HEADER, "")
    timestamp = req.headers.get(TIMESTAMP_HEADER, "")
    signature = req.headers.get(SIGNATURE_HEADER, "")
    if not (key and timestamp and signature):
        raise CtiAuthError(
            _("Faltan las cabeceras de firma (X-Soporte-Key, -Timestamp, -Signature)."),
            code="signature_required",
        )
    line = line_by("key", key)
    if line is None:
        raise CtiAuthError(_("Clave desconocida."), code="unknown_key")
    digest = check_signature(
        secret=line.hmac_secret, timestamp=timestamp, signature=signature, body=req.body, now=now
    )
    return line, digest


def process(requests: list[Request], *, now: dt.datetime) -> list[tuple[int, dict[str, Any]]]:
    """Authenticate, refuse replays, apply the batch; one (status, body) per request, in order.

    Returns only after the transaction has committed: every 2xx is on disk.
    """
    answers: list[tuple[int, dict[str, Any]] | None] = [None] * len(requests)
    pending: list[tuple[int, services.Submission, str]] = []
    for i, req in enumerate(requests):
        if req.error is not None:
            answers[i] = (req.error.status, error_body(req.error))
            continue
        try:
            line, digest = authenticate(req, now=now)
        except DomainError as exc:
            answers[i] = (exc.status, error_body(exc))
            continue
        assert req.event is not None
        pending.append(
            (
                i,
                services.Submission(
                    line=line, event=req.event, source=EventSource.CTI, received_at=req.received_at
                ),
                digest,
            )
        )
    if pending:
        with transaction.atomic():
            accepted = _refuse_replays(pending, answers, now=now)
            outcomes = services.apply_events([sub for _i, sub, _d in accepted], now=now)
        for (i, _sub, _digest), outcome in zip(accepted, outcomes, strict=True):
            if outcome.error is not None:
                answers[i] = (outcome.error.status, error_body(outcome.error))
            else:
                answers[i] = (200, outcome.reply)
    return [a if a is not None else (500, {}) for a in answers]


def _refuse_replays(
    pending: list[tuple[int, services.Submission, str]],
    answers: list[tuple[int, dict[str, Any]] | None],
    *,
    now: dt.datetime,
) -> list[tuple[int, services.Submission, str]]:
    signed = [(i, sub, d) for i, sub, d in pending if d]
    if not signed:
        return pending
    seen = set(
        SignedNonce.objects.filter(digest__in=[d for _i, _s, d in signed]).values_list(
            "line_id", "digest"
        )
    )
    accepted = []
    fresh: list[SignedNonce] = []
    for i, sub, digest in pending:
        if digest and (sub.line.pk, digest) in seen:
            exc = CtiAuthError(_("Petición repetida (posible reenvío)."), code="replay")
            answers[i] = (exc.status, error_body(exc))
            continue
        if digest:
            seen.add((sub.line.pk, digest))
            fresh.append(SignedNonce(line=sub.line, digest=digest, seen_at=now))
        accepted.append((i, sub, digest))
    SignedNonce.objects.bulk_create(fresh)
    return accepted


def prune_nonces(*, now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(seconds=2 * SIGNATURE_WINDOW_SECONDS)
    deleted, _detail = SignedNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def make_request(
    *, token: str | None, headers: Mapping[str, str], body: bytes, content_type: str
) -> Request:
    received_at = timezone.now()
    try:
        event = parse_body(content_type, body)
        return Request(token, headers, body, event, None, received_at, content_type)
    except DomainError as exc:
        return Request(token, headers, body, None, exc, received_at, content_type)
