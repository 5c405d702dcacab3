"""Applying events: every event, from a PBX or from the console's buttons, goes through
`apply_events`, so the metrics and the QA rules work the same with or without CTI.

A batch of events is applied in one transaction (the CTI endpoint groups concurrent requests)
and acknowledged only after it commits; live screens hear about it after the commit. Its
writes are the hand-written statements of `soporte.calls.sql`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from soporte.calls import sql
from soporte.calls.events import CtiError, CtiEvent, truncate_ms
from soporte.calls.models import (
    Call,
    Callback,
    CallDirection,
    CallEvent,
    CallState,
    EventSource,
    Hold,
    Outcome,
    Party,
    PhoneLine,
    Transfer,
    TransferKind,
    TransferState,
    rings_for,
)
from soporte.calls.services.common import WALLBOARD_GROUP, console_group, snapshot
from soporte.calls.services.lookups import Agents, people_by_phone
from soporte.calls.services.records import queue_records
from soporte.calls.services.states import hold_refused
from soporte.directory.models import Agent, Person, Presence
from soporte.lib import live, rawsql
from soporte.lib.errors import DomainError

log = logging.getLogger(__name__)


@dataclass
class Submission:
    """One event for one line, as received (the endpoint or a console button)."""

    line: PhoneLine
    event: CtiEvent
    source: str = EventSource.CTI
    received_at: dt.datetime | None = None


@dataclass
class Outcome_:
    """What the sender gets back: Zammad's reply body, or an error."""

    reply: dict[str, Any] = field(default_factory=dict)
    error: DomainError | None = None
    call: Call | None = None
    duplicate: bool = False


# At most this many call events travel in one group message to a console (a relay frame is
# at most 1 MiB; a snapshot is under 1 KiB).
EVENTS_PER_MESSAGE = 100


def _event_key(call: Call | None, event: CtiEvent) -> str:
    """The idempotency key: the explicit eventId, or the event's place in the call's story."""
    if event.event_id:
        return f"{event.call_id}|{event.kind}|id:{event.event_id}"
    if event.kind in ("newCall", "answer", "hangup"):
        return f"{event.call_id}|{event.kind}"
    if event.kind == "callback" and event.callback_at is not None:
        return f"{event.call_id}|callback|{event.callback_at.isoformat()}"
    ordinal = 0
    if call is not None:
        if event.kind == "hold":
            ordinal = call.hold_count + (0 if call.state == CallState.ON_HOLD else 1)
        elif event.kind == "unhold":
            ordinal = call.hold_count
        else:
            ordinal = call.transfer_count + 1
    return f"{event.call_id}|{event.kind}|{ordinal}"


class _EventRow:
    """A `CallEvent` row to insert, by column (attname): no model instance per event."""

    __slots__ = (
        "at",
        "call",
        "call_id",
        "key",
        "kind",
        "line_id",
        "payload",
        "received_at",
        "source",
    )

    def __init__(
        self,
        line_id: int,
        call: Call,
        kind: str,
        key: str,
        at: dt.datetime,
        received_at: dt.datetime,
        source: str,
        payload: dict[str, Any],
    ) -> None:
        self.line_id = line_id
        self.call = call
        self.call_id: int | None = None  # the call's id, once a new call has one (`finish`)
        self.kind = kind
        self.key = key
        self.at = at
        self.received_at = received_at
        self.source = source
        self.payload = payload


class _Batch:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.agents = Agents()
        self.calls: dict[tuple[int, str], Call] = {}
        self.events: list[_EventRow] = []
        self.notices: list[tuple[list[str], dict[str, Any], Call]] = []
        self.presence: dict[int, str] = {}
        self.people: dict[str, Person] = {}
        # Writes are deferred to `finish`: new calls in one INSERT, changed calls in one
        # executemany UPDATE, events in one INSERT (a batch costs a few statements).
        self.new_calls: list[Call] = []
        self.dirty: dict[int, Call] = {}
        self.ended: list[int] = []
        self.finished: list[Call] = []  # calls this batch ended: their records are queued

    def load_calls(self, submissions: list[Submission]) -> None:
        by_line: dict[int, set[str]] = {}
        for sub in submissions:
            by_line.setdefault(sub.line.pk, set()).add(sub.event.call_id)
        for line_id, call_ids in by_line.items():
            for call in sql.select_calls(line_id, call_ids):
                self.calls[(line_id, call.call_id)] = call
        numbers = {
            sub.event.from_number
            if sub.event.direction == CallDirection.IN
            else sub.event.to_number
            for sub in submissions
            if sub.event.kind == "newCall"
        } - {"", "anonymous"}
        if numbers:
            self.people = people_by_phone.get_many(numbers)

    def touch(self, call: Call) -> None:
        call.updated_at = self.now
        if call.pk is not None:
            self.dirty[id(call)] = call

    def saved(self, call: Call) -> Call:
        """A row that needs the call's id (a hold, a transfer) saves a new call first."""
        if call.pk is None:
            call.save(force_insert=True)
            self.new_calls.remove(call)
        return call

    def notify(self, call: Call, line: PhoneLine, kind: str) -> None:
        groups: list[str] = []
        agent_ids = set(call.ringing_agent_ids) if kind == "newCall" else set()
        if call.agent_id:
            agent_ids.add(call.agent_id)
        groups += [console_group(a) for a in sorted(agent_ids)]
        self.notices.append((groups, snapshot(call, line, kind), call))

    def apply(self, sub: Submission) -> Outcome_:
        line, event = sub.line, sub.event
        at = truncate_ms(event.at or sub.received_at or self.now)
        call = self.calls.get((line.pk, event.call_id))
        if call is None and event.kind != "newCall":
            return Outcome_(
                error=CtiError(
                    _("No hay una llamada con ese callId."),
                    code="unknown_call",
                    callId=event.call_id,
                )
            )
        key = _event_key(call, event)
        handler = getattr(self, "_on_" + event.kind.lower())
        result: Outcome_ = handler(line, call, event, at)
        if result.error is not None or result.duplicate:
            return result
        assert result.call is not None
        name = event.caller_name[:200]
        if name and result.call.caller_name != name:
            # T3: the name an IVR took, or the agent typed in the phone's own screen.
            result.call.caller_name = name
            self.touch(result.call)
        self.events.append(
            _EventRow(
                line.pk,
                result.call,
                event.kind,
                key[:300],
                at,
                sub.received_at or self.now,
                sub.source,
                event.raw,
            )
        )
        self.notify(result.call, line, event.kind)
        return result

    # Handlers: each returns the outcome; a duplicate changes nothing and is not stored again.

    def _reply_for_new(self, line: PhoneLine, event: CtiEvent) -> dict[str, Any]:
        if event.direction == CallDirection.IN and line.blocked(event.from_number):
            return {"action": "reject", "reason": "busy"}
        if event.direction == CallDirection.OUT and line.outbound_caller_id:
            return {
                "action": "dial",
                "caller_id": line.outbound_caller_id,
                "number": event.to_number,
            }
        return {}

    def _on_newcall(
        self, line: PhoneLine, call: Call | None, event: CtiEvent, at: dt.datetime
    ) -> Outcome_:
        reply = self._reply_for_new(line, event)
        if call is not None:
            return Outcome_(reply=reply, call=call, duplicate=True)
        inbound = event.direction == CallDirection.IN
        number = event.from_number if inbound else event.to_number
        person = self.people.get(number)
        named = [a for a in (self.agents.find(u) for u in event.users) if a is not None]
        agent: Agent | None = None
        if inbound:
            ringing = named or [a for a in [self.agents.by_number(event.to_number)] if a]
            if not ringing and not reply:
                ringing = self.agents.available_level_one()
        else:
            ringing = []
            agent = named[0] if named else self.agents.by_number(event.from_number)
        call = Call(
            line=line,
            call_id=event.call_id,
            direction=event.direction,
            from_number=event.from_number,
            to_number=event.to_number,
            queue=event.queue or (event.to_number if inbound else event.from_number),
            state=CallState.RINGING,
            ringing_agent_ids=sorted({a.pk for a in ringing}),
            agent=agent,
            person=person,
            organisation=person.organisation if person else None,
            caller_name=event.caller_name[:200],
            started_at=at,
            updated_at=self.now,
        )
        self.calls[(line.pk, call.call_id)] = call
        self.new_calls.append(call)
        return Outcome_(reply=reply, call=call)

    def _on_answer(
        self, line: PhoneLine, call: Call | None, event: CtiEvent, at: dt.datetime
    ) -> Outcome_:
        assert call is not None
        if call.answered_at is not None or call.state == CallState.ENDED:
            # Zammad ignores an answer after the hangup; a retried answer changes nothing.
            return Outcome_(call=call, duplicate=True)
        agent = self.agents.find(event.answering_number, *event.users)
        if (
            agent is None
            and call.direction == CallDirection.IN
            and len(call.ringing_agent_ids) == 1
        ):
            agent = self.agents.find(str(call.ringing_agent_ids[0]), kinds=("id",))
        if agent is not None:
            call.agent = agent
            if call.direction == CallDirection.IN:
                call.answered_by = agent
            self.presence[agent.pk] = Presence.ON_CALL
        elif call.agent_id:
            self.presence[call.agent_id] = Presence.ON_CALL
        call.answered_at = at
        call.ring_seconds = max(0.0, (at - call.started_at).total_seconds())
        call.rings = rings_for(call.ring_seconds, line.ring_period)
        call.state = CallState.TALKING
        self.touch(call)
        return Outcome_(call=call)

    def _on_hold(
        self, line: PhoneLine, call: Call | None, event: CtiEvent, at: dt.datetime
    ) -> Outcome_:
        assert call is not None
        if call.state == CallState.ON_HOLD:
            return Outcome_(call=call, duplicate=True)
        if (refusal := hold_refused(call)) is not None:
            return Outcome_(error=refusal)
        Hold.objects.create(
            call=self.saved(call),
            agent_id=call.agent_id,
            started_at=at,
            reason=event.reason[:300],
            choice=event.choice,
        )
        call.state = CallState.ON_HOLD
        call.hold_count += 1
        self.touch(call)
        return Outcome_(call=call)

    def _close_hold(self, line: PhoneLine, call: Call, at: dt.datetime, *, hangup: bool) -> None:
        hold = (
            call.holds.filter(ended_at__isnull=True).order_by("-started_at", "-id").first()
            if call.pk is not None
            else None
        )
        if hold is None:
            return
        seconds = max(0.0, (at - hold.started_at).total_seconds())
        hold.ended_at = at
        hold.seconds = seconds
        hold.over_limit = seconds > line.hold_limit_seconds
        hold.ended_by_hangup = hangup
        hold.save(update_fields=["ended_at", "seconds", "over_limit", "ended_by_hangup"])
        call.hold_seconds += seconds
        call.holds_over_limit += int(hold.over_limit)

    def _on_unhold(
        self, line: PhoneLine, call: Call | None, event: CtiEvent, at: dt.datetime
    ) -> Outcome_:
        assert call is not None
        if call.state != CallState.ON_HOLD:
            return Outcome_(call=call, duplicate=True)
        self._close_hold(line, call, at, hangup=False)
        call.state = CallState.TALKING
        self.touch(call)
        return Outcome_(call=call)

    def _on_transfer(
        self, line: PhoneLine, call: Call | None, event: CtiEvent, at: dt.datetime
    ) -> Outcome_:
        assert call is not None
        if call.state == CallState.ENDED:
            return Outcome_(call=call, duplicate=True)
        target = self.agents.find(event.target)
        call = self.saved(call)
        consulting = call.transfers.filter(state=TransferState.CONSULTING).order_by("-id").first()
        if consulting is None and target is not None and call.agent_id == target.pk:
            return Outcome_(call=call, duplicate=True)  # already with the target: a retry
        answered = bool(event.consult_answered)
        if consulting is not None and consulting.answered_at is not None:
            answered = True
        consult_seconds = event.consult_seconds
        if consult_seconds is None and consulting is not None and consulting.answered_at:
            consult_seconds = max(0.0, (at - consulting.answered_at).total_seconds())
        warm = (
            event.transfer_type == "attended"
            and answered
            and (consult_seconds or 0) >= line.warm_min_consult_seconds
        )
        transfer = consulting or Transfer(call=call, from_agent_id=call.agent_id, started_at=at)
        transfer.to_agent = target or transfer.to_agent
        transfer.target = event.target[:100]
        transfer.kind = TransferKind.WARM if warm else TransferKind.BLIND
        transfer.state = TransferState.COMPLETED
        transfer.consult_answered = answered
        transfer.consult_seconds = consult_seconds
        if event.caller_told is not None:
            transfer.announced = event.caller_told  # T4, as the PBX's agent marked it
        if event.reason:
            transfer.reason = event.reason
        transfer.completed_at = at
        transfer.save()
        if call.agent_id:
            self.presence.setdefault(call.agent_id, Presence.AVAILABLE)
        call.agent = transfer.to_agent
        if call.agent_id:
            self.presence[call.agent_id] = Presence.ON_CALL
        call.transfer_count += 1
        self.touch(call)
        return Outcome_(call=call)

    def _on_callback(
        self, line: PhoneLine, call: Call | None, event: CtiEvent, at: dt.datetime
    ) -> Outcome_:
        """H2 without a hold: the caller chose to be called back instead of waiting."""
        assert call is not None and event.callback_at is not None
        if call.state == CallState.ENDED or (
            call.pk is not None and call.callbacks.filter(due_at=event.callback_at).exists()
        ):
            return Outcome_(call=call, duplicate=True)  # a retry
        agent = self.agents.find(*event.users) if event.users else None
        agent_id = agent.pk if agent is not None else call.agent_id
        if agent_id is None:
            return Outcome_(
                error=CtiError(
                    _("La llamada no tiene agente que devuelva la llamada."),
                    code="callback_agent_required",
                )
            )
        if event.callback_at <= at:
            return Outcome_(
                error=CtiError(
                    _("La hora de la devolución debe ser futura."), code="callback_in_past"
                )
            )
        call = self.saved(call)
        user_id = Agent.objects.filter(pk=agent_id).values_list("user_id", flat=True).get()
        Callback.objects.create(
            call=call,
            agent_id=agent_id,
            person=call.person,
            organisation=call.organisation,
            ticket_id=call.ticket_id,
            caller_name=event.caller_name[:200] or call.caller_name,
            phone=(call.from_number if call.direction == CallDirection.IN else call.to_number)[:64],
            reason=event.reason[:300],
            due_at=event.callback_at,
            created_at=self.now,
            created_by_id=user_id,
        )
        return Outcome_(call=call)

    def _on_hangup(
        self, line: PhoneLine, call: Call | None, event: CtiEvent, at: dt.datetime
    ) -> Outcome_:
        assert call is not None
        if call.state == CallState.ENDED:
            return Outcome_(call=call, duplicate=True)
        if call.state == CallState.ON_HOLD:
            self._close_hold(line, call, at, hangup=True)
        call.ended_at = max(at, call.started_at)
        call.state = CallState.ENDED
        call.hangup_cause = event.cause or "normalClearing"
        if event.initiator:
            call.hangup_by = event.initiator
        elif event.cause == "cancel":
            call.hangup_by = Party.CALLER
        else:
            call.hangup_by = Party.UNKNOWN
        call.outcome = _outcome(call, event, line)
        if call.answered_at is None:
            call.ring_seconds = max(0.0, (call.ended_at - call.started_at).total_seconds())
        if call.agent_id and call.answered_at is not None:
            self.presence[call.agent_id] = Presence.AVAILABLE
        if call.pk is not None:
            self.ended.append(call.pk)
        self.finished.append(call)
        self.touch(call)
        return Outcome_(call=call)

    def finish(self) -> None:
        if self.new_calls:
            sql.insert_calls(self.new_calls)
        if self.dirty:
            sql.update_calls(list(self.dirty.values()))
        for event in self.events:
            event.call_id = event.call.pk  # a new call got its id just above
        if self.events:
            rawsql.insert_rows(CallEvent, self.events)
        if self.ended:
            # A consultation still open when the call ends never completed.
            sql.cancel_consultations(self.ended)
        if self.finished:
            # Each ended call's note, bitácora entry and scorecard: a job committed with the
            # hang-up, one INSERT for the batch (records.record_ended_call).
            queue_records(self.finished, now=self.now)
        outgoing: list[tuple[str, dict[str, Any]]] = []
        by_presence: dict[str, list[int]] = {}
        for agent_id, presence in self.presence.items():
            by_presence.setdefault(presence, []).append(agent_id)
        for presence, agent_ids in by_presence.items():
            # One statement per state for the whole batch; an agent who went offline stays so.
            sql.set_presence(agent_ids, presence, self.now)
            label = str(Presence(presence).label)
            for agent_id in agent_ids:
                outgoing.append(
                    (
                        "presence",
                        {
                            "type": "presence.changed",
                            "agent_id": agent_id,
                            "presence": presence,
                            "label": label,
                        },
                    )
                )
        by_group: dict[str, list[dict[str, Any]]] = {}
        for groups, message, call in self.notices:
            message["id"] = call.pk
            for group in groups:
                by_group.setdefault(group, []).append(message)
        for group, messages in by_group.items():
            # A console gets a burst's events for its agent in one group message (one relay
            # frame, not one per event); its consumer sends them to the browser one by one.
            for start in range(0, len(messages), EVENTS_PER_MESSAGE):
                part = messages[start : start + EVENTS_PER_MESSAGE]
                outgoing.append(
                    (group, part[0] if len(part) == 1 else {"type": "call.events", "events": part})
                )
        if self.notices:
            # The wallboard redraws from the database: one message per batch says "changed"
            # (with the batch's last event), not one per event of a burst.
            last = dict(self.notices[-1][1], batch=len(self.notices))
            outgoing.append((WALLBOARD_GROUP, last))
        if outgoing:
            # Screens hear about the batch only once it has committed.
            transaction.on_commit(partial(_announce, outgoing))


def _announce(outgoing: list[tuple[str, dict[str, Any]]]) -> None:
    for group, message in outgoing:
        live.broadcast(group, message)


def _outcome(call: Call, event: CtiEvent, line: PhoneLine) -> str:
    if call.answered_at is not None:
        return Outcome.ANSWERED
    if call.direction == CallDirection.IN and line.blocked(call.from_number):
        return Outcome.REJECTED
    if event.cause == "forwarded":
        return Outcome.FORWARDED
    if call.direction == CallDirection.IN and event.cause in ("cancel", "normalClearing", ""):
        return Outcome.ABANDONED
    return Outcome.MISSED


def apply_events(submissions: list[Submission], *, now: dt.datetime) -> list[Outcome_]:
    """Apply a batch in one transaction; on an unexpected failure, one transaction each.

    Returns one outcome per submission, in order. Nothing is acknowledged before the commit:
    callers answer only after this function returns.
    """
    try:
        return _apply_in_one_transaction(submissions, now=now)
    except IntegrityError:
        if len(submissions) == 1:
            # Another process applied the same event first (PostgreSQL): a retry, not an error.
            return _apply_in_one_transaction(submissions, now=now)
    except Exception:
        if len(submissions) == 1:
            raise
        log.exception("CTI batch of %d failed; applying one by one", len(submissions))
    results = []
    for sub in submissions:
        try:
            results.extend(_apply_in_one_transaction([sub], now=now))
        except DomainError as exc:
            results.append(Outcome_(error=exc))
    return results


def _apply_in_one_transaction(submissions: list[Submission], *, now: dt.datetime) -> list[Outcome_]:
    with transaction.atomic():
        batch = _Batch(now)
        batch.load_calls(submissions)
        results = []
        # Events sent with an explicit eventId: which of them are already stored (one query).
        keyed = [
            (sub.line.pk, _event_key(None, sub.event)) for sub in submissions if sub.event.event_id
        ]
        seen: set[tuple[int, str]] = set()
        if keyed:
            seen = set(
                CallEvent.objects.filter(
                    line_id__in={line for line, _key in keyed},
                    key__in=[key for _line, key in keyed],
                ).values_list("line_id", "key")
            )
        for sub in submissions:
            if sub.event.event_id:
                key = (sub.line.pk, _event_key(None, sub.event))
                if key in seen:
                    results.append(
                        Outcome_(
                            call=batch.calls.get((sub.line.pk, sub.event.call_id)), duplicate=True
                        )
                    )
                    continue
                seen.add(key)  # the same event twice in one batch is applied once
            results.append(batch.apply(sub))
        batch.finish()
    return results


def apply_one(submission: Submission, *, now: dt.datetime) -> Outcome_:
    result = apply_events([submission], now=now)[0]
    if result.error is not None:
        raise result.error
    return result
