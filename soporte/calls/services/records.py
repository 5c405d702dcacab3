"""A call's ticket and, after the call, its record: the ticket note, the bitácora entry
(kind CALL) and the QA scorecard (item 10)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.calls import qa
from soporte.calls.models import Call, CallState, Outcome, Party, Transfer, TransferKind
from soporte.calls.services.common import WALLBOARD_GROUP, CallError, agent_of
from soporte.directory.models import Area, Person, User
from soporte.lib import live
from soporte.lib.errors import DomainError, NotFound
from soporte.lib.writelock import writers_take_turns
from soporte.logbook import services as logbook
from soporte.logbook.models import EntryKind
from soporte.tickets import services as tickets
from soporte.tickets.models import Channel, Ticket

log = logging.getLogger(__name__)


@transaction.atomic
def attach_ticket(*, actor: User, call: Call, ticket_id: int, now: dt.datetime) -> Call:
    agent_of(actor)
    ticket = Ticket.objects.visible_to(actor).filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(_("No existe ese ticket."))
    if call.organisation_id and ticket.organisation_id != call.organisation_id:
        raise CallError(_("El ticket es de otra organización que quien llama."), code="ticket_org")
    call.ticket = ticket
    call.organisation_id = call.organisation_id or ticket.organisation_id
    call.person_id = call.person_id or ticket.requester_id
    call.updated_at = now
    call.save(update_fields=["ticket", "organisation", "person", "updated_at"])
    return call


@transaction.atomic
def open_ticket_for_call(
    *,
    actor: User,
    call: Call,
    requester: Person,
    subject: str,
    description: str,
    level: int = 1,
    area: Area | None = None,
    priority: str = "normal",
    now: dt.datetime,
) -> Call:
    """The call opens a new ticket by phone, with the caller as requester. The agent on the
    line owns it (it shows in their "Mis tickets" and its SLA warnings reach them) when
    their level covers the ticket's; a higher level's ticket waits in that level's queue."""
    agent = agent_of(actor)
    ticket = tickets.open_ticket(
        actor=actor,
        data=tickets.NewTicket(
            organisation=requester.organisation,
            requester=requester,
            subject=subject,
            description=description or call.need,
            channel=Channel.PHONE,
            level=level,
            area=area,
            priority=priority,
        ),
        now=now,
    )
    if agent.level >= ticket.level:
        ticket = tickets.assign_ticket(ticket=ticket, actor=actor, agent=agent, now=now)
    call.ticket = ticket
    call.person = call.person or requester
    call.organisation = requester.organisation
    call.caller_name = call.caller_name or str(requester)
    call.updated_at = now
    call.save(update_fields=["ticket", "person", "organisation", "caller_name", "updated_at"])
    return call


# --- After the call: the ticket record, the bitácora entry and the scorecard (item 10) ------


def _summary_fields(call: Call) -> dict[str, str]:
    no_reason = _("sin motivo")
    local = timezone.localtime(call.started_at)
    holds = list(call.holds.order_by("started_at", "id"))
    transfers = list(call.transfers.select_related("to_agent__user").order_by("started_at", "id"))
    return {
        "when": local.strftime("%Y-%m-%d %H:%M:%S"),
        "who": call.caller_name or (str(call.person) if call.person else call.from_number),
        "agent": str(call.answered_by or call.agent or "—"),
        "rings": str(call.rings if call.rings is not None else "—"),
        "ring_seconds": f"{call.ring_seconds or 0:.1f}",
        "holds": "; ".join(f"{h.seconds or 0:.0f} s ({h.reason or no_reason})" for h in holds)
        or _("ninguna"),
        "transfers": "; ".join(
            f"{_transfer_label(t)} → {t.to_agent or t.target}" for t in transfers
        )
        or _("ninguna"),
        "outcome": str(Outcome(call.outcome).label) if call.outcome else "—",
        "hangup_by": str(Party(call.hangup_by).label) if call.hangup_by else "—",
    }


def _transfer_label(transfer: Transfer) -> str:
    return str(TransferKind(transfer.kind).label)


def call_record_text(call: Call) -> str:
    f = _summary_fields(call)
    return (
        _(
            "Llamada del %(when)s con %(who)s, atendió %(agent)s. Timbres: %(rings)s (%(ring_seconds)s s). "
            "Esperas: %(holds)s. Transferencias: %(transfers)s. Resultado: %(outcome)s. "
            "Colgó primero: %(hangup_by)s."
        )
        % f
    )


def record_call(*, call: Call, now: dt.datetime) -> Call:
    """Write the finished call's ticket note, bitácora entry (kind CALL) and QA scorecard.

    The entry goes where the ticket's entries go (`tickets.organisation_logbook`): the
    customer's open contract logbook, or the desk's; the wallboard hears of it on commit."""
    # The note, the signed entry and the QA evidence are kept for good: in the desk's
    # language, whoever's request (the console's hang-up button, in English) finished the call.
    with transaction.atomic(), tickets.desk_language():
        call = (
            Call.objects.select_for_update(of=("self",))
            .select_related(
                "line", "person", "organisation", "agent__user", "answered_by__user", "ticket"
            )
            .get(pk=call.pk)
        )
        if call.recorded_at is not None or call.state != CallState.ENDED:
            return call
        staff = call.answered_by or call.agent
        author = staff.user if staff else tickets.desk_author(now)
        text = call_record_text(call)
        if call.ticket is not None:
            tickets.add_note(
                ticket=call.ticket, author=author, body=text, internal=True, now=now, log=False
            )
            book = tickets.ticket_logbook(call.ticket, now=now)
            subject = logbook.Subject("ticket", call.ticket.folio, call.ticket.subject)
        else:
            book = tickets.organisation_logbook(call.organisation_id, now=now)
            subject = logbook.Subject("call", call.call_id, call.from_number)
        logbook.append_entry(
            logbook=book,
            kind=EntryKind.CALL,
            author=author,
            summary=text[:300],
            fields=_summary_fields(call),
            subject=subject,
            now=now,
        )
        qa.score_call(call=call, now=now)
        call.recorded_at = now
        call.save(update_fields=["recorded_at"])
        live.broadcast_on_commit(WALLBOARD_GROUP, {"type": "call.recorded", "id": call.pk})
    return call


def record_finished_calls(*, now: dt.datetime, limit: int = 500) -> int:
    """The worker's job: every ended call gets its record; one short transaction per call."""
    pending = list(
        Call.objects.filter(recorded_at__isnull=True, state=CallState.ENDED)
        .order_by("ended_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for pk in pending:
        try:
            # Queue with the CTI writers on their file lock (SQLite's busy handler would let
            # this loop starve them: it commits and begins again while they sleep), and
            # leave a gap after each call so a waiting writer gets the lock first.
            with writers_take_turns():
                record_call(call=Call(pk=pk), now=now)
            time.sleep(0.002)
            done += 1
        except DomainError as exc:
            # E.g. no supervisor yet to open the desk's logbook: nothing can be recorded
            # until there is one; say it once per run instead of once per call.
            log.warning("calls are not being recorded: %s", exc)
            break
        except Exception:
            log.exception("could not record call %s", pk)
    return done
