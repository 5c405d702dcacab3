"""The console's state rules: the state a call must be in for each action, in one place.

The console's buttons check them before acting (a clear error for the person), and the batch
applies the same rule to a phone system's event, so both refuse with the same code.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from soporte.calls.models import Call, CallState
from soporte.calls.services.common import CallError


def answer_refused(call: Call) -> CallError | None:
    if call.state != CallState.RINGING:
        return CallError(_("La llamada ya no está sonando."), code="not_ringing")
    return None


def hold_refused(call: Call) -> CallError | None:
    """H1–H3: only a call in conversation goes on hold."""
    if call.state != CallState.TALKING:
        return CallError(
            _("Solo se pone en espera una llamada en conversación."), code="not_talking"
        )
    return None


def resume_refused(call: Call) -> CallError | None:
    if call.state != CallState.ON_HOLD:
        return CallError(_("La llamada no está en espera."), code="not_on_hold")
    return None


def action_refused(call: Call) -> CallError | None:
    """Anything but recording its record is refused once a call has ended."""
    if call.state == CallState.ENDED:
        return CallError(_("La llamada ya terminó."), code="call_ended")
    return None


def check(refusal: CallError | None) -> None:
    """Raise the refusal, if any: `check(hold_refused(call))`."""
    if refusal is not None:
        raise refusal
