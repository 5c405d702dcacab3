"""Sign-in resists guessing (issue #19, defect 4): django-axes counts failed sign-ins per
account and per address; this module is what the desk adds around it.

- `lockout_response`: the answer to a locked account or address: a Spanish page with the
  wait (429, Retry-After), or the API's error shape under /api/.
- `notify_locked_out`: the account's owner is told by e-mail that their account was locked
  (someone may be guessing their password), once per lockout.
- `token_attempt`: API bearer tokens go through the same counters (an address that tries
  many wrong tokens is locked out like one that tries many passwords).
- `reset_allowed`: password-reset e-mails are limited per address and per e-mail.

Administrators see the lockouts in the admin ("Access attempts") and lift one by deleting
it, or with `soporte axes_reset_username USER` / `axes_reset_ip ADDRESS`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from soporte.directory.models import User
from soporte.lib.clientip import client_ip
from soporte.lib.errors import error_body


def wait_minutes(request: HttpRequest | None) -> int:
    cool_off = get_cool_off(request) or dt.timedelta(minutes=15)
    return max(1, math.ceil(cool_off.total_seconds() / 60))


def lockout_message(request: HttpRequest | None) -> str:
    return _(
        "Demasiados intentos fallidos. Por seguridad, la entrada está bloqueada: espere "
        "%(minutes)d minutos antes de volver a intentarlo, o pida a un administrador que la "
        "desbloquee."
    ) % {"minutes": wait_minutes(request)}


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE."""
    minutes = wait_minutes(request)
    message = lockout_message(request)
    if request.path_info.startswith("/api/"):
        response = HttpResponse(
            json.dumps(error_body("locked_out", message, {"retry_after_seconds": minutes * 60})),
            status=429,
            content_type="application/json; charset=utf-8",
        )
    else:
        page = render_to_string(
            "registration/locked_out.html", {"message": message}, request=request
        )
        response = HttpResponse(page, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def notify_locked_out(sender: Any, request: Any = None, username: str = "", **kwargs: Any) -> None:
    """axes' user_locked_out signal: e-mail the account's owner, once per cool-off."""
    if not username:
        return
    user = User.objects.filter(username=username, is_active=True).exclude(email="").first()
    if user is None:
        return
    if not cache.add(f"lockout-mail:{user.pk}", 1, timeout=wait_minutes(request) * 60):
        return
    send_mail(
        _("Su cuenta de %(desk)s se bloqueó por intentos fallidos") % {"desk": settings.DESK_NAME},
        _(
            "Hola, %(name)s:\n\nAlguien intentó entrar varias veces con su usuario «%(username)s» "
            "y una contraseña equivocada, así que bloqueamos la entrada %(minutes)d minutos.\n\n"
            "Si fue usted, espere y vuelva a intentarlo, o restablezca su contraseña. Si no fue "
            "usted, avise a la mesa de ayuda.\n"
        )
        % {
            "name": user.first_name or user.username,
            "username": username,
            "minutes": wait_minutes(request),
        },
        None,
        [user.email],
    )


def _token_credentials(token: str) -> dict[str, str]:
    return {"username": f"token:{token[:8]}"}


def token_allowed(request: HttpRequest, token: str) -> bool:
    """False when this address (or this token's prefix) is locked out: no lookup is made, and
    axes' middleware answers the lockout."""
    if AxesProxyHandler.is_allowed(request, _token_credentials(token)):
        return True
    request.axes_locked_out = True  # type: ignore[attr-defined]
    return False


def token_failed(request: HttpRequest, token: str) -> None:
    """A wrong API token counts like a wrong password, for its address."""
    user_login_failed.send(sender=__name__, credentials=_token_credentials(token), request=request)


class ThrottledPasswordResetView(PasswordResetView):
    """Django's reset page; past `reset_allowed` it answers the same but sends nothing."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        if not reset_allowed(self.request, form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


# Password-reset e-mails: at most this many per e-mail address and per requesting address in
# RESET_WINDOW_S; past that the page looks the same (nothing tells a guesser which addresses
# exist) but no e-mail is sent.
RESET_PER_EMAIL = 3
RESET_PER_ADDRESS = 10
RESET_WINDOW_S = 3600


def reset_allowed(request: HttpRequest, email: str) -> bool:
    address = client_ip(request)
    allowed = True
    for key, limit in (
        (f"reset-mail:email:{email.strip().lower()}", RESET_PER_EMAIL),
        (f"reset-mail:ip:{address}", RESET_PER_ADDRESS),
    ):
        cache.add(key, 0, timeout=RESET_WINDOW_S)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=RESET_WINDOW_S)
            count = 1
        allowed = allowed and count <= limit
    return allowed
