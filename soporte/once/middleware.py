"""`OnceMiddleware`: a write sent twice is done once.

- A page's form (POST with the `_once` field `once.js` adds): the first request is claimed and
  runs; when it answers with a redirect (the form was accepted), the repeat is sent to the
  same place with "Ya habíamos recibido este envío". A refused form (the page again, with its
  errors) releases the token, so the corrected form can be sent.
- An API POST with `Idempotency-Key`: the first answer (status, body) is stored and a retry
  gets it again, marked `Idempotent-Replayed: true`. The same key for another request is
  refused (422 `idempotency_key_reused`); a retry while the first still runs waits for it, then
  gets 409 `idempotency_in_progress` if it has not finished. A server error (5xx) releases the
  key: nothing was done, the retry runs.

The claim is its own short transaction before the view: a repeat arriving while the first is
still running finds the claim and waits instead of running the use case a second time.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.lib.errors import error_body
from soporte.once.models import Submission

FORM_FIELD = "_once"
HEADER = "Idempotency-Key"
MAX_KEY = 200
# How long a repeat waits for the first request to answer (a double click arrives while the
# first is still saving).
WAIT_S = 10.0
POLL_S = 0.1


class OnceMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return self._api(request)
        return self._form(request)

    # --- pages ----------------------------------------------------------------------------

    def _form(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        key = request.POST.get(FORM_FIELD, "")
        if not key or len(key) > MAX_KEY:
            return self.get_response(request)
        scope = f"u{user.pk}"
        fingerprint = f"POST {request.path}"
        claim = _claim(scope, key, fingerprint)
        if claim is not None:
            first = _wait(claim)
            if first is _RELEASED:
                # The first was refused (its form came back with errors): this one runs.
                claim = _claim(scope, key, fingerprint)
            else:
                return self._repeat_form(request, first)
        if claim is not None:
            return self._repeat_form(request, None)
        try:
            response = self.get_response(request)
        except BaseException:
            _release(scope, key)
            raise
        if isinstance(response, HttpResponseRedirect) or response.status_code in (302, 303):
            _answer(scope, key, response, location=response.get("Location", ""))
        else:
            _release(scope, key)
        return response

    def _repeat_form(self, request: HttpRequest, first: Submission | None) -> HttpResponse:
        if first is None or first.fingerprint != f"POST {request.path}":
            return render(
                request,
                "once/in_progress.html",
                {"back": request.META.get("HTTP_REFERER", "/")},
                status=409,
            )
        messages.info(request, _("Ya habíamos recibido este envío; no se repitió."))
        return HttpResponseRedirect(first.location or "/", status=303)

    # --- API ------------------------------------------------------------------------------

    def _api(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER, "")
        if not key:
            return self.get_response(request)
        if len(key) > MAX_KEY or not key.isprintable():
            return _api_error(
                422,
                "invalid_idempotency_key",
                _("La clave Idempotency-Key admite hasta %(max)d caracteres imprimibles.")
                % {"max": MAX_KEY},
            )
        scope = _api_scope(request)
        if scope is None:
            return self.get_response(request)  # not signed in: the view answers 401
        fingerprint = f"POST {request.path} " + hashlib.sha256(request.body).hexdigest()
        claim = _claim(scope, key, fingerprint)
        if claim is not None:
            if claim.fingerprint != fingerprint:
                return _reused()
            first = _wait(claim)
            if first is _RELEASED:
                # The first failed on the server (5xx) and changed nothing: this one runs.
                claim = _claim(scope, key, fingerprint)
            else:
                return _replay(first)
        if claim is not None:
            return _replay(None)
        try:
            response = self.get_response(request)
        except BaseException:
            _release(scope, key)
            raise
        if response.status_code >= 500 or response.streaming:
            _release(scope, key)
        else:
            _answer(scope, key, response, body=response.content)
        return response


def _api_scope(request: HttpRequest) -> str | None:
    authorization = request.headers.get("Authorization", "")
    if authorization:
        return "t" + hashlib.sha256(authorization.encode()).hexdigest()[:64]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u{user.pk}"
    return None


def _api_error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=status)
    if status == 409:
        response["Retry-After"] = "2"
    return response


def _reused() -> JsonResponse:
    return _api_error(
        422,
        "idempotency_key_reused",
        _("Esta clave Idempotency-Key ya se usó para otra solicitud; use una clave nueva."),
    )


def _replay(first: Submission | None) -> HttpResponse:
    if first is None:
        return _api_error(
            409,
            "idempotency_in_progress",
            _("La solicitud con esta clave aún se procesa; vuelva a intentarlo en un momento."),
        )
    response = HttpResponse(
        bytes(first.body), status=first.status_code or 200, content_type=first.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


# --- the claims -------------------------------------------------------------------------------


def _claim(scope: str, key: str, fingerprint: str) -> Submission | None:
    """Claim the key for this request: None when it is ours, else the existing claim."""
    try:
        with transaction.atomic():
            Submission.objects.create(
                scope=scope, key=key, fingerprint=fingerprint, created_at=timezone.now()
            )
        return None
    except IntegrityError:
        return Submission.objects.get(scope=scope, key=key)


# What `_wait` answers when the first request gave its claim back (refused, or a server error).
_RELEASED = Submission(scope="", key="")


def _wait(claim: Submission) -> Submission | None:
    """The first request's answer, waiting up to WAIT_S for it: the answered claim, None if
    it is still running, or `_RELEASED` if it gave the key back."""
    deadline = time.monotonic() + WAIT_S
    current: Submission | None = claim
    while current is not None and current.state != Submission.State.DONE:
        if time.monotonic() >= deadline:
            return None
        time.sleep(POLL_S)
        current = Submission.objects.filter(pk=claim.pk).first()
    return _RELEASED if current is None else current


def _answer(
    scope: str, key: str, response: HttpResponse, *, location: str = "", body: bytes = b""
) -> None:
    Submission.objects.filter(scope=scope, key=key).update(
        state=Submission.State.DONE,
        status_code=response.status_code,
        content_type=response.get("Content-Type", "")[:120],
        location=location[:2000],
        body=body,
        answered_at=timezone.now(),
    )


def _release(scope: str, key: str) -> None:
    Submission.objects.filter(scope=scope, key=key, state=Submission.State.PENDING).delete()
