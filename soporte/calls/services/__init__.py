"""Use cases of calls, by verb family.

- `ingest`: applying CTI and console events in batches (`apply_events`); its statements are
  in `soporte.calls.sql`, its directory lookups in `lookups`;
- `console`: the agent's buttons (ringing, answer, caller, hold, resume, callbacks, hang-up),
  with the state each needs in `states`;
- `transfers`: warm and blind transfers, each the ticket's escalation (T4, X1–X3);
- `records`: the call's ticket, and after the call its note, bitácora entry and scorecard;
- `lines`: phone lines and their credentials.

Callers import this package (`from soporte.calls import services`); the names below are its
public surface.
"""

from soporte.calls.services.common import (
    WALLBOARD_GROUP,
    CallError,
    console_group,
    snapshot,
)
from soporte.calls.services.console import (
    access_call,
    answer_call,
    complete_callback,
    console_line,
    hang_up,
    live_calls,
    pending_callbacks,
    place_on_hold,
    record_caller,
    register_caller,
    register_ringing,
    resume_call,
    schedule_callback,
)
from soporte.calls.services.ingest import (
    EVENTS_PER_MESSAGE,
    Outcome_,
    Submission,
    apply_events,
    apply_one,
)
from soporte.calls.services.lines import LineSecrets, create_phone_line, rotate_line_credentials
from soporte.calls.services.records import (
    attach_ticket,
    call_record_text,
    open_ticket_for_call,
    record_call,
    record_finished_calls,
)
from soporte.calls.services.transfers import (
    accept_transfer,
    blind_transfer,
    cancel_transfer,
    complete_transfer,
    start_warm_transfer,
    transfer_candidates,
)

__all__ = [
    "EVENTS_PER_MESSAGE",
    "WALLBOARD_GROUP",
    "CallError",
    "LineSecrets",
    "Outcome_",
    "Submission",
    "accept_transfer",
    "access_call",
    "answer_call",
    "apply_events",
    "apply_one",
    "attach_ticket",
    "blind_transfer",
    "call_record_text",
    "cancel_transfer",
    "complete_callback",
    "complete_transfer",
    "console_group",
    "console_line",
    "create_phone_line",
    "hang_up",
    "live_calls",
    "open_ticket_for_call",
    "pending_callbacks",
    "place_on_hold",
    "record_call",
    "record_caller",
    "record_finished_calls",
    "register_caller",
    "register_ringing",
    "resume_call",
    "rotate_line_credentials",
    "schedule_callback",
    "snapshot",
    "start_warm_transfer",
    "transfer_candidates",
]
