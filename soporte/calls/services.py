"""Use cases of calls: applying CTI and console events, holds, transfers, callbacks, records.

Every event, from a PBX or from the console's buttons, goes through `apply_events`, so the
metrics and the QA rules work the same with or without CTI. A batch of events is applied in
one transaction (the CTI endpoint groups concurrent requests) and acknowledged only after it
commits; live screens hear about it after the commit.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, Field, JSONField
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _

from soporte.calls.events import CtiError, CtiEvent, truncate_ms
from soporte.calls.models import (
    Call,
    CallbackQuerySet,
    CallDirection,
    CallEvent,
    CallState,
    EventSource,
    Hold,
    HoldChoice,
    Outcome,
    Party,
    PhoneLine,
    Transfer,
    TransferKind,
    TransferState,
    rings_for,
)
from soporte.calls.models import Callback as CallbackTask
from soporte.directory.models import Agent, Area, Organisation, Person, Presence, User
from soporte.lib import live, rawsql
from soporte.lib.errors import DomainError, Forbidden, NotFound
from soporte.lib.writelock import writers_take_turns

log = logging.getLogger(__name__)

WALLBOARD_GROUP = "calls.wallboard"


def console_group(agent_id: int) -> str:
    return f"calls.agent.{agent_id}"


class CallError(DomainError):
    code = "call_rule"


# --- Applying events ----------------------------------------------------------------------


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
AGENT_INDEX_SECONDS = 2.0
_agent_index: tuple[float, dict[str, dict[str, Agent]]] | None = None


class _Agents:
    """Looks agents up the way Zammad does (phone, then login, then id), plus name and extension.

    Read at most once per batch, only when an event names somebody, and shared by the batches
    of the next two seconds (a burst does not re-read the directory for every commit).
    """

    def __init__(self) -> None:
        self._by: dict[str, dict[str, Agent]] | None = None

    def _load(self) -> dict[str, dict[str, Agent]]:
        global _agent_index
        if self._by is None and _agent_index and _agent_index[0] > time.monotonic():
            self._by = _agent_index[1]
        if self._by is None:
            by: dict[str, dict[str, Agent]] = {"number": {}, "login": {}, "id": {}, "name": {}}
            for agent in Agent.objects.select_related("user").filter(user__is_active=True):
                user = agent.user
                for kind, key in (
                    ("number", user.phone),
                    ("number", agent.extension),
                    ("login", user.username),
                    ("id", str(agent.pk)),
                    ("name", user.get_full_name()),
                    ("name", str(user)),
                ):
                    if key:
                        by[kind].setdefault(key.strip().lower(), agent)
            self._by = by
            _agent_index = (time.monotonic() + AGENT_INDEX_SECONDS, by)
        return self._by

    def find(
        self, *keys: str, kinds: tuple[str, ...] = ("number", "login", "id", "name")
    ) -> Agent | None:
        index = self._load()
        for key in keys:
            if not key:
                continue
            for kind in kinds:
                if agent := index[kind].get(key.strip().lower()):
                    return agent
        return None

    def by_number(self, number: str) -> Agent | None:
        """A dialled number is an extension or a phone, never an id or a login."""
        return self.find(number, kinds=("number",))

    def available_level_one(self) -> list[Agent]:
        agents = {a.pk: a for a in self._load()["id"].values()}
        return [a for a in agents.values() if a.level == 1 and a.presence == Presence.AVAILABLE]


def _forget_agents(**_kwargs: Any) -> None:
    """A saved agent or user is seen by the next batch of this process (others: within 2 s)."""
    global _agent_index
    _agent_index = None


post_save.connect(_forget_agents, sender=Agent, dispatch_uid="calls_forget_agents_agent")
post_save.connect(_forget_agents, sender=User, dispatch_uid="calls_forget_agents_user")
post_delete.connect(_forget_agents, sender=Agent, dispatch_uid="calls_forget_agents_delete")


PEOPLE_INDEX_SECONDS = 2.0
# Phone number → the person it belongs to (None: nobody), shared by the batches of two seconds.
_people_index: tuple[float, dict[str, Person | None]] | None = None


def _people_by_phone(numbers: set[str]) -> dict[str, Person]:
    """The callers' records (with their organisation) for a batch's new calls.

    A burst of calls from the same few numbers does not query the directory for every batch:
    answers, including "nobody has this number", are kept for two seconds in this process.
    """
    global _people_index
    moment = time.monotonic()
    if _people_index is None or _people_index[0] <= moment:
        _people_index = (moment + PEOPLE_INDEX_SECONDS, {})
    known = _people_index[1]
    missing = numbers - known.keys()
    if missing:
        found: dict[str, Person | None] = dict.fromkeys(missing)
        for person in (
            Person.objects.select_related("organisation").filter(phone__in=missing).order_by("-id")
        ):
            found[person.phone] = person  # the oldest wins (ordered newest first)
        if len(known) > 10_000:
            known.clear()
        known.update(found)
    return {n: p for n in numbers if (p := known.get(n)) is not None}


def _forget_people(**_kwargs: Any) -> None:
    """A saved or deleted person (or organisation) is seen by this process's next batch
    (other processes: within 2 s)."""
    global _people_index
    _people_index = None


post_save.connect(_forget_people, sender=Person, dispatch_uid="calls_forget_people_person")
post_delete.connect(_forget_people, sender=Person, dispatch_uid="calls_forget_people_delete")
post_save.connect(
    _forget_people, sender=Organisation, dispatch_uid="calls_forget_people_organisation"
)


# Statements and converters are built once per connection, not for every batch.
_memoised = rawsql.memoised


def _select_calls(line_id: int, call_ids: Iterable[str]) -> list[Call]:
    """A line's calls by callId, locked for the batch where the database can (PostgreSQL).

    One raw SELECT of every column, turned into `Call` instances with Django's own converters
    and `Model.from_db`, as a queryset would, without compiling a queryset for every batch
    (~0.5 ms of Python each on the project VM). No joins: only a ringing call's screen-pop
    needs the caller's names, and a new call gets them from the people lookup.
    """
    connection = transaction.get_connection()
    head, tail, columns = _memoised("select_calls", _select_calls_plan)
    names = list(call_ids)
    sql = head + ", ".join(["%s"] * len(names)) + tail
    return [
        columns.load(connection, row) for row in rawsql.fetch(connection, sql, [line_id, *names])
    ]


def _select_calls_plan() -> tuple[str, str, rawsql.Columns]:
    """The SELECT around its IN list, and how its rows become calls (`rawsql.columns`)."""
    connection = transaction.get_connection()
    table = Call._meta.db_table
    quote = connection.ops.quote_name
    columns = rawsql.columns(Call, table, connection)
    head = (
        # Only quoted model column names are formatted in; every value is a parameter.
        f"SELECT {columns.sql} FROM {quote(table)} "  # noqa: S608
        f"WHERE {quote('line_id')} = %s AND {quote('call_id')} IN ("
    )
    tail = ") FOR UPDATE" if connection.features.has_select_for_update else ")"
    return head, tail, columns


def _event_key(call: Call | None, event: CtiEvent) -> str:
    """The idempotency key: the explicit eventId, or the event's place in the call's story."""
    if event.event_id:
        return f"{event.call_id}|{event.kind}|id:{event.event_id}"
    if event.kind in ("newCall", "answer", "hangup"):
        return f"{event.call_id}|{event.kind}"
    ordinal = 0
    if call is not None:
        if event.kind == "hold":
            ordinal = call.hold_count + (0 if call.state == CallState.ON_HOLD else 1)
        elif event.kind == "unhold":
            ordinal = call.hold_count
        else:
            ordinal = call.transfer_count + 1
    return f"{event.call_id}|{event.kind}|{ordinal}"


def snapshot(call: Call, line: PhoneLine, kind: str) -> dict[str, Any]:
    """What a console or the wallboard needs to draw a call (times as ISO 8601, UTC)."""

    def iso(moment: dt.datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "type": "call.event",
        "event": kind,
        "id": call.pk,
        "call_id": call.call_id,
        "state": call.state,
        "direction": call.direction,
        "from": call.from_number,
        "to": call.to_number,
        "queue": call.queue,
        "person_id": call.person_id,
        "person": str(call.person) if Call.person.is_cached(call) and call.person else "",
        "organisation": str(call.organisation)
        if Call.organisation.is_cached(call) and call.organisation
        else "",
        "caller_name": call.caller_name,
        "agent_id": call.agent_id,
        "ringing_agent_ids": list(call.ringing_agent_ids),
        "started_at": iso(call.started_at),
        "answered_at": iso(call.answered_at),
        "ended_at": iso(call.ended_at),
        "rings": call.rings,
        "ring_period": line.ring_period,
        "hold_limit": line.hold_limit_seconds,
        "hold_warn": line.hold_warn_seconds,
        "hangup_by": call.hangup_by,
        "outcome": call.outcome,
        "ticket_id": call.ticket_id,
    }


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
        self.agents = _Agents()
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

    def load_calls(self, submissions: list[Submission]) -> None:
        by_line: dict[int, set[str]] = {}
        for sub in submissions:
            by_line.setdefault(sub.line.pk, set()).add(sub.event.call_id)
        for line_id, call_ids in by_line.items():
            for call in _select_calls(line_id, call_ids):
                self.calls[(line_id, call.call_id)] = call
        numbers = {
            sub.event.from_number
            if sub.event.direction == CallDirection.IN
            else sub.event.to_number
            for sub in submissions
            if sub.event.kind == "newCall"
        } - {"", "anonymous"}
        if numbers:
            self.people = _people_by_phone(numbers)

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
        if call.state != CallState.TALKING:
            return Outcome_(
                error=CtiError(
                    _("Solo se pone en espera una llamada en conversación."), code="not_talking"
                )
            )
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
        self.touch(call)
        return Outcome_(call=call)

    def finish(self) -> None:
        if self.new_calls:
            _insert_calls(self.new_calls)
        if self.dirty:
            _update_calls(list(self.dirty.values()))
        for event in self.events:
            event.call_id = event.call.pk  # a new call got its id just above
        if self.events:
            _insert(CallEvent, self.events)
        if self.ended:
            # A consultation still open when the call ends never completed.
            _cancel_consultations(self.ended)
        outgoing: list[tuple[str, dict[str, Any]]] = []
        by_presence: dict[str, list[int]] = {}
        for agent_id, presence in self.presence.items():
            by_presence.setdefault(presence, []).append(agent_id)
        for presence, agent_ids in by_presence.items():
            # One statement per state for the whole batch; an agent who went offline stays so.
            _set_presence(agent_ids, presence, self.now)
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


# Columns an event can change, written for every changed call of a batch in one executemany.
_MUTABLE = (
    "state",
    "agent",
    "answered_by",
    "answered_at",
    "ended_at",
    "ring_seconds",
    "rings",
    "hold_count",
    "hold_seconds",
    "holds_over_limit",
    "transfer_count",
    "hangup_cause",
    "hangup_by",
    "outcome",
    "updated_at",
)


def _converters(fields: list[Field]) -> list[Callable[[Any], Any]]:
    """Python value → database parameter, per field, chosen once per connection."""
    key = ("converters", *((f.model, f.name) for f in fields))
    return _memoised(key, partial(_choose_converters, fields))


def _choose_converters(fields: list[Field]) -> list[Callable[[Any], Any]]:
    """Python value → database parameter, per field.

    On SQLite the CTI batch's columns need only two conversions (aware datetimes to UTC text,
    JSON to text); Django's generic per-value preparation is most of a batch's cost there.
    Other databases get Django's own `get_db_prep_save`.
    """
    connection = transaction.get_connection()
    if connection.vendor != "sqlite":
        return [partial(f.get_db_prep_save, connection=connection) for f in fields]
    adapt = connection.ops.adapt_datetimefield_value
    if settings.USE_TZ and connection.timezone == dt.UTC:
        adapt = partial(_utc_text, adapt=adapt)
    out: list[Callable[[Any], Any]] = []
    for f in fields:
        if isinstance(f, DateTimeField):
            out.append(adapt)
        elif isinstance(f, JSONField):
            out.append(partial(json.dumps, cls=f.encoder))
        elif f.get_internal_type() in (
            "CharField",
            "TextField",
            "SlugField",
        ) or f.get_internal_type() in (
            "BigAutoField",
            "ForeignKey",
            "PositiveSmallIntegerField",
            "FloatField",
            "BooleanField",
        ):
            out.append(_as_is)
        else:
            out.append(partial(f.get_db_prep_save, connection=connection))
    return out


def _as_is(value: Any) -> Any:
    return value


def _utc_text(value: Any, *, adapt: Callable[[Any], Any]) -> Any:
    """SQLite's stored form of a UTC datetime (`str` of the naive value), as Django's
    `adapt_datetimefield_value` gives it for a database kept in UTC, without its checks; any
    other value goes through Django's."""
    if value is None:
        return None
    if type(value) is dt.datetime and value.tzinfo is dt.UTC:
        return value.isoformat(" ")[:-6]  # without its "+00:00"
    return adapt(value)


def _rows(objs: Iterable[Any], fields: list[Field], tail: Callable[[Any], list[Any]]) -> list:
    convert = list(zip((f.attname for f in fields), _converters(fields), strict=True))
    return [[c(getattr(o, name)) for name, c in convert] + tail(o) for o in objs]


# SQLite: rows go in multi-row statements of these sizes (the largest first, then the binary
# remainder), so a batch is a few statements, each prepared once per process and reused.
_CHUNK_SIZES = (64, 32, 16, 8, 4, 2, 1)
_SQLITE_SAFE_PARAMS = 999  # the lowest limit of any SQLite build


def _chunks(count: int, width: int) -> Iterable[tuple[int, int]]:
    """(start, size) of each multi-row statement for `count` rows of `width` parameters."""
    start = 0
    for size in _CHUNK_SIZES:
        if size * width > _SQLITE_SAFE_PARAMS:
            continue
        while count - start >= size:
            yield start, size
            start += size


def _insert(model: type[Any], objs: list[Any]) -> None:
    """New rows (no ids needed back): on SQLite a few multi-row INSERTs, elsewhere one
    executemany. One statement per chunk, not one step per row: each step lets the writer
    process's other threads take the interpreter lock, which the writer then waits for."""
    connection = transaction.get_connection()
    fields, head, marks = _memoised(("insert", model), partial(_insert_plan, model))
    rows = _rows(objs, fields, lambda _o: [])
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.executemany(head + marks, rows)
            return
        for start, size in _chunks(len(rows), len(fields)):
            cursor.execute(
                head + ", ".join([marks] * size),
                [value for row in rows[start : start + size] for value in row],
            )


def _insert_plan(model: type[Any]) -> tuple[list[Field], str, str]:
    connection = transaction.get_connection()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only quoted model column names are formatted in; every value is a parameter.
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    return fields, head, marks


def _insert_calls(calls: list[Call]) -> None:
    """New calls in one INSERT, then their ids in one SELECT (events and holds point at them)."""
    _insert(Call, calls)
    by_line: dict[int, dict[str, Call]] = {}
    for call in calls:
        by_line.setdefault(call.line_id, {})[call.call_id] = call
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for line_id, wanted in by_line.items():
            names = list(wanted)
            marks = ", ".join(["%s"] * len(names))
            cursor.execute(
                # Only quoted model column names are formatted in; every value is a parameter.
                f"SELECT {quote('id')}, {quote('call_id')} FROM {quote(Call._meta.db_table)} "  # noqa: S608
                f"WHERE {quote('line_id')} = %s AND {quote('call_id')} IN ({marks})",
                [line_id, *names],
            )
            for pk, call_id in cursor.fetchall():
                wanted[call_id].pk = pk
                wanted[call_id]._state.adding = False


def _update_calls(calls: list[Call]) -> None:
    """The batch's changed calls: on SQLite a few `UPDATE … FROM (VALUES …)` statements (one
    step each, not one per row), elsewhere one executemany."""
    connection = transaction.get_connection()
    fields, statement, marks = _memoised("update_calls", _update_plan)
    rows = _rows(calls, fields, lambda call: [call.pk])
    with connection.cursor() as cursor:
        if not marks:
            cursor.executemany(statement, rows)
            return
        for start, size in _chunks(len(rows), len(fields) + 1):
            cursor.execute(
                statement % ", ".join([marks] * size),
                [value for row in rows[start : start + size] for value in row],
            )


def _update_plan() -> tuple[list[Field], str, str]:
    """The changed columns, and either the executemany UPDATE (no row marks) or the SQLite
    UPDATE … FROM (VALUES %s) with the marks of one row."""
    connection = transaction.get_connection()
    fields = [cast(Field, Call._meta.get_field(name)) for name in _MUTABLE]
    quote = connection.ops.quote_name
    table = quote(Call._meta.db_table)
    if connection.vendor != "sqlite" or sqlite3.sqlite_version_info < (3, 33):
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        # Only quoted model column names are formatted in; every value is a parameter.
        return fields, f"UPDATE {table} SET {assignments} WHERE {quote('id')} = %s", ""  # noqa: S608
    # SQLite names a VALUES list's columns column1, column2, …; the id comes last.
    width = len(fields) + 1
    assignments = ", ".join(f"{quote(f.column)} = v.column{i}" for i, f in enumerate(fields, 1))
    statement = (
        # Only quoted model column names are formatted in; every value is a parameter.
        f"UPDATE {table} SET {assignments} FROM (VALUES %s) AS v "  # noqa: S608
        f"WHERE {table}.{quote('id')} = v.column{width}"
    )
    return fields, statement, "(" + ", ".join(["%s"] * width) + ")"


def _cancel_consultations(call_ids: list[int]) -> None:
    """`Transfer.objects.filter(call_id__in=…, state=CONSULTING).update(state=CANCELLED)`,
    as one raw statement (a queryset costs ~0.5 ms of Python per batch to compile)."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            # Only quoted model column names are formatted in; every value is a parameter.
            f"UPDATE {quote(Transfer._meta.db_table)} SET {quote('state')} = %s "  # noqa: S608
            f"WHERE {quote('state')} = %s "
            f"AND {quote('call_id')} IN ({', '.join(['%s'] * len(call_ids))})",
            [TransferState.CANCELLED.value, TransferState.CONSULTING.value, *call_ids],
        )


def _set_presence(agent_ids: list[int], presence: str, now: dt.datetime) -> None:
    """`Agent.objects.filter(pk__in=…).exclude(presence__in=(OFFLINE, presence))
    .update(presence=…, presence_changed_at=now)`, as one raw statement."""
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    changed_at = Agent._meta.get_field("presence_changed_at")
    column = quote("presence")
    with connection.cursor() as cursor:
        cursor.execute(
            # Only quoted model column names are formatted in; every value is a parameter.
            f"UPDATE {quote(Agent._meta.db_table)} "  # noqa: S608
            f"SET {column} = %s, {quote(changed_at.column)} = %s "
            f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(agent_ids))}) "
            f"AND NOT ({column} IN (%s, %s))",
            [
                presence,
                changed_at.get_db_prep_save(now, connection),
                *agent_ids,
                Presence.OFFLINE.value,
                presence,
            ],
        )


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


# --- The console (desks without CTI, and the agent's side of every call) -------------------


def console_line(*, now: dt.datetime) -> PhoneLine:
    """The desk's own line: calls registered with the console's buttons."""
    line = PhoneLine.objects.filter(is_console=True).order_by("id").first()
    if line is None:
        line = PhoneLine.objects.create(name=_("Consola"), is_console=True, created_at=now)
    return line


def access_call(actor: User, call_id: int) -> Call:
    call = (
        Call.objects.visible_to(actor)
        .select_related("line", "person", "organisation", "agent__user", "ticket")
        .filter(pk=call_id)
        .first()
    )
    if call is None:
        raise NotFound(_("No existe esa llamada."))
    return call


def _agent_of(actor: User) -> Agent:
    agent = Agent.objects.select_related("user").filter(user=actor).first()
    if agent is None:
        raise Forbidden(_("Solo los agentes atienden llamadas."))
    return agent


def _console_event(call: Call, kind: str, now: dt.datetime, **fields: Any) -> Call:
    raw = {"event": kind, "callId": call.call_id, **{k: v for k, v in fields.items() if v}}
    event = CtiEvent(kind=kind, call_id=call.call_id, at=truncate_ms(now), raw=raw, **fields)
    result = apply_one(
        Submission(line=call.line, event=event, source=EventSource.CONSOLE, received_at=now),
        now=now,
    )
    assert result.call is not None
    return result.call


def register_ringing(*, actor: User, number: str, now: dt.datetime) -> Call:
    """Without CTI: the agent's desk phone rings and the agent presses "Está sonando"."""
    agent = _agent_of(actor)
    number = number.strip() or "anonymous"
    line = console_line(now=now)
    call_id = f"consola-{agent.pk}-{int(now.timestamp() * 1000)}"
    event = CtiEvent(
        kind="newCall",
        call_id=call_id,
        direction=CallDirection.IN,
        from_number=number,
        to_number=agent.extension or "consola",
        users=(str(agent.pk),),
        at=truncate_ms(now),
        raw={"event": "newCall", "callId": call_id, "from": number, "direction": "in"},
    )
    result = apply_one(
        Submission(line=line, event=event, source=EventSource.CONSOLE, received_at=now), now=now
    )
    assert result.call is not None
    return result.call


def answer_call(*, actor: User, call: Call, now: dt.datetime) -> Call:
    """T1: the answer time fixes the ring seconds (and so the rings) of the call."""
    agent = _agent_of(actor)
    if call.state != CallState.RINGING:
        raise CallError(_("La llamada ya no está sonando."), code="not_ringing")
    return _console_event(call, "answer", now, answering_number=str(agent.pk))


def _own(actor: User, call: Call) -> Agent:
    agent = _agent_of(actor)
    if call.agent_id != agent.pk:
        raise Forbidden(_("Esta llamada la atiende otro agente."))
    if call.state == CallState.ENDED:
        raise CallError(_("La llamada ya terminó."), code="call_ended")
    return agent


@transaction.atomic
def record_caller(
    *, actor: User, call: Call, caller_name: str = "", need: str = "", now: dt.datetime
) -> Call:
    """T3: after the need, the caller's name is asked and recorded."""
    _own(actor, call)
    fields = []
    if need.strip():
        call.need = need.strip()
        fields.append("need")
    if caller_name.strip():
        call.caller_name = caller_name.strip()[:200]
        fields.append("caller_name")
    if not fields:
        raise CallError(_("Escriba la necesidad o el nombre de quien llama."), code="empty")
    call.updated_at = now
    call.save(update_fields=[*fields, "updated_at"])
    live.broadcast_on_commit(WALLBOARD_GROUP, snapshot(call, call.line, "caller"))
    return call


def place_on_hold(
    *,
    actor: User,
    call: Call,
    reason: str,
    choice: str,
    callback_at: dt.datetime | None = None,
    now: dt.datetime,
) -> Call:
    """H1 says why, H2 lets the caller choose: wait on the line or be called back."""
    agent = _own(actor, call)
    if not reason.strip():
        raise CallError(_("Diga a quien llama por qué lo pone en espera."), code="reason_required")
    if choice not in HoldChoice.values:
        raise CallError(
            _("Pregunte a quien llama si prefiere esperar o que le devuelvan la llamada."),
            code="choice_required",
        )
    if choice == HoldChoice.CALLBACK:
        schedule_callback(
            actor=actor,
            call=call,
            agent=agent,
            due_at=callback_at,
            reason=reason,
            now=now,
        )
        return call
    if call.state != CallState.TALKING:
        raise CallError(
            _("Solo se pone en espera una llamada en conversación."), code="not_talking"
        )
    return _console_event(call, "hold", now, reason=reason.strip(), choice=choice)


def resume_call(*, actor: User, call: Call, now: dt.datetime) -> Call:
    """H4: the console shows the caller's name and "Gracias por su amable espera"."""
    _own(actor, call)
    if call.state != CallState.ON_HOLD:
        raise CallError(_("La llamada no está en espera."), code="not_on_hold")
    return _console_event(call, "unhold", now)


@transaction.atomic
def schedule_callback(
    *,
    actor: User,
    call: Call | None,
    agent: Agent,
    due_at: dt.datetime | None,
    reason: str,
    phone: str = "",
    person: Person | None = None,
    now: dt.datetime,
) -> CallbackTask:
    """H2: the caller prefers a call back; it lands in the agent's task list (proactive)."""
    if due_at is None:
        raise CallError(_("Indique a qué hora devolver la llamada."), code="callback_time_required")
    if due_at <= now:
        raise CallError(_("La hora de la devolución debe ser futura."), code="callback_in_past")
    phone = phone or (
        (call.from_number if call.direction == CallDirection.IN else call.to_number) if call else ""
    )
    if not phone.strip():
        raise CallError(_("Falta el teléfono para devolver la llamada."), code="phone_required")
    person = person or (call.person if call else None)
    task = CallbackTask.objects.create(
        call=call,
        agent=agent,
        person=person,
        organisation=person.organisation if person else (call.organisation if call else None),
        ticket=call.ticket if call else None,
        caller_name=(call.caller_name if call else "") or (str(person) if person else ""),
        phone=phone.strip()[:64],
        reason=reason.strip()[:300],
        due_at=due_at,
        created_at=now,
        created_by=actor,
    )
    live.broadcast_on_commit(
        console_group(agent.pk), {"type": "callback.scheduled", "callback_id": task.pk}
    )
    return task


def pending_callbacks(*, agent: Agent) -> CallbackQuerySet:
    return (
        CallbackTask.objects.filter(agent=agent, done_at__isnull=True)
        .select_related("person", "organisation", "ticket")
        .order_by("due_at", "id")
    )


@transaction.atomic
def complete_callback(
    *, actor: User, callback: CallbackTask, result: str, now: dt.datetime
) -> CallbackTask:
    agent = _agent_of(actor)
    if callback.agent_id != agent.pk and not actor.is_manager:
        raise Forbidden(_("Esta devolución es de otro agente."))
    if callback.done_at is not None:
        raise CallError(_("La devolución ya se hizo."), code="already_done")
    callback.done_at = now
    callback.result = result.strip()[:300]
    callback.save(update_fields=["done_at", "result"])
    return callback


def hang_up(*, actor: User, call: Call, by: str, now: dt.datetime) -> Call:
    """C1 is said, C3 recorded: who hung up first."""
    _agent_of(actor)
    if call.state == CallState.ENDED:
        raise CallError(_("La llamada ya terminó."), code="call_ended")
    if by not in (Party.CALLER, Party.AGENT):
        raise CallError(_("Indique quién colgó primero."), code="initiator_required")
    cause = "normalClearing" if call.answered_at else "cancel"
    return _console_event(call, "hangup", now, cause=cause, initiator=by)


# --- Transfers (T4, X1–X3) -------------------------------------------------------------------


def transfer_candidates(*, call: Call, level: int, area: Area | None) -> list[Agent]:
    """Colleagues of the level (and area) with their presence, available first."""
    agents = Agent.objects.select_related("user").filter(level=level, user__is_active=True)
    if area is not None:
        agents = agents.filter(areas=area)
    if call.agent_id:
        agents = agents.exclude(pk=call.agent_id)
    order: dict[str, int] = {
        Presence.AVAILABLE: 0,
        Presence.ON_CALL: 1,
        Presence.AWAY: 2,
        Presence.OFFLINE: 3,
    }
    return sorted(agents, key=lambda a: (order.get(a.presence, 9), a.user.get_full_name()))


def _escalate(
    *,
    actor: User,
    call: Call,
    to_agent: Agent | None,
    level: int,
    area: Area | None,
    reason: str,
    summary: str,
    now: dt.datetime,
) -> Any:
    from soporte.tickets import services as tickets

    if call.ticket is None:
        raise CallError(
            _("Abra o vincule el ticket antes de transferir: la transferencia es un escalamiento."),
            code="ticket_required",
        )
    return tickets.escalate_ticket(
        ticket=call.ticket,
        actor=actor,
        to_level=level,
        to_area=area,
        to_agent=to_agent,
        customer_name=call.caller_name,
        reason=reason,
        tried=summary,
        now=now,
    )


def _check_handoff(call: Call, reason: str, summary: str, announced: bool) -> None:
    if not call.caller_name.strip():
        raise CallError(
            _("Pregunte y anote el nombre de quien llama antes de transferir (T3)."),
            code="caller_name_required",
        )
    if not reason.strip() or not summary.strip():
        raise CallError(
            _("Escriba el motivo y el resumen: quien recibe no debe pedir que repitan (X2)."),
            code="handoff_incomplete",
        )
    if not announced:
        raise CallError(
            _("Antes de transferir, diga a quien llama que lo va a transferir y por qué (T4)."),
            code="not_announced",
        )


@transaction.atomic
def start_warm_transfer(
    *,
    actor: User,
    call: Call,
    to_agent: Agent,
    reason: str,
    summary: str,
    announced: bool,
    now: dt.datetime,
    area: Area | None = None,
) -> Transfer:
    """X2: the colleague's console pops with the caller's name, reason and summary first."""
    agent = _own(actor, call)
    if call.ticket_id is None:
        # Checked before the offer goes out: connecting would fail without the ticket.
        raise CallError(
            _("Abra o vincule el ticket antes de transferir: la transferencia es un escalamiento."),
            code="ticket_required",
        )
    _check_handoff(call, reason, summary, announced)
    if to_agent.pk == agent.pk:
        raise CallError(_("Elija a otro colega."), code="same_agent")
    if call.transfers.filter(state=TransferState.CONSULTING).exists():
        raise CallError(_("Ya hay una consulta en curso."), code="already_consulting")
    transfer = Transfer.objects.create(
        call=call,
        from_agent=agent,
        to_agent=to_agent,
        target=str(to_agent.pk),
        to_level=to_agent.level,
        to_area=area,
        kind=TransferKind.WARM,
        state=TransferState.CONSULTING,
        announced=announced,
        reason=reason.strip(),
        summary=summary.strip(),
        started_at=now,
    )
    offer = {
        "type": "transfer.offer",
        "transfer_id": transfer.pk,
        "call_id": call.pk,
        "caller_name": call.caller_name,
        "organisation": str(call.organisation) if call.organisation else "",
        "from_agent": agent.name,
        "reason": transfer.reason,
        "summary": transfer.summary,
        "ticket": call.ticket.folio if call.ticket else "",
    }
    live.broadcast_on_commit(console_group(to_agent.pk), offer)
    live.broadcast_on_commit(WALLBOARD_GROUP, {**offer, "type": "transfer.changed"})
    return transfer


@transaction.atomic
def accept_transfer(*, actor: User, transfer: Transfer, now: dt.datetime) -> Transfer:
    """The colleague answers the consultation before the caller is connected (X2)."""
    agent = _agent_of(actor)
    transfer = Transfer.objects.select_for_update().select_related("call").get(pk=transfer.pk)
    if transfer.to_agent_id != agent.pk:
        raise Forbidden(_("Esta consulta es para otro agente."))
    if transfer.state != TransferState.CONSULTING:
        raise CallError(_("La consulta ya no está en curso."), code="not_consulting")
    transfer.answered_at = now
    transfer.consult_answered = True
    transfer.save(update_fields=["answered_at", "consult_answered"])
    message = {"type": "transfer.accepted", "transfer_id": transfer.pk, "call_id": transfer.call_id}
    if transfer.from_agent_id:
        live.broadcast_on_commit(console_group(transfer.from_agent_id), message)
    return transfer


def complete_transfer(*, actor: User, transfer: Transfer, now: dt.datetime) -> Call:
    """Connect the caller: the transfer becomes the ticket's escalation with its hand-off."""
    with transaction.atomic():
        transfer = Transfer.objects.select_related("call__line", "call__ticket", "to_agent").get(
            pk=transfer.pk
        )
        call = transfer.call
        _own(actor, call)
        if transfer.state != TransferState.CONSULTING:
            raise CallError(_("La consulta ya no está en curso."), code="not_consulting")
        escalation = _escalate(
            actor=actor,
            call=call,
            to_agent=transfer.to_agent,
            level=transfer.to_level or (transfer.to_agent.level if transfer.to_agent else 1),
            area=transfer.to_area,
            reason=transfer.reason,
            summary=transfer.summary,
            now=now,
        )
        Transfer.objects.filter(pk=transfer.pk).update(escalation=escalation)
        call = _console_event(
            call,
            "transfer",
            now,
            transfer_type="attended",
            target=transfer.target,
            consult_answered=transfer.answered_at is not None,
        )
        if transfer.to_agent_id:
            live.broadcast_on_commit(
                console_group(transfer.to_agent_id),
                {
                    "type": "transfer.connected",
                    "transfer_id": transfer.pk,
                    "call_id": call.pk,
                    "caller_name": call.caller_name,
                    "reason": transfer.reason,
                    "summary": transfer.summary,
                },
            )
    return call


def blind_transfer(
    *,
    actor: User,
    call: Call,
    level: int,
    area: Area | None,
    to_agent: Agent | None,
    reason: str,
    summary: str,
    announced: bool,
    now: dt.datetime,
) -> Call:
    """Allowed, but recorded as blind: QA marks X2 as failed for it."""
    with transaction.atomic():
        _own(actor, call)
        _check_handoff(call, reason, summary, announced)
        escalation = _escalate(
            actor=actor,
            call=call,
            to_agent=to_agent,
            level=level,
            area=area,
            reason=reason,
            summary=summary,
            now=now,
        )
        target_agent = escalation.to_agent
        transfer = Transfer.objects.create(
            call=call,
            from_agent_id=call.agent_id,
            to_agent=target_agent,
            target=str(target_agent.pk) if target_agent else f"nivel-{level}",
            to_level=level,
            to_area=area,
            kind=TransferKind.BLIND,
            state=TransferState.CONSULTING,
            announced=announced,
            reason=reason.strip(),
            summary=summary.strip(),
            escalation=escalation,
            started_at=now,
        )
        return _console_event(call, "transfer", now, transfer_type="blind", target=transfer.target)


@transaction.atomic
def cancel_transfer(*, actor: User, transfer: Transfer, now: dt.datetime) -> Transfer:
    _own(actor, transfer.call)
    if transfer.state != TransferState.CONSULTING:
        raise CallError(_("La consulta ya no está en curso."), code="not_consulting")
    transfer.state = TransferState.CANCELLED
    transfer.save(update_fields=["state"])
    if transfer.to_agent_id:
        live.broadcast_on_commit(
            console_group(transfer.to_agent_id),
            {"type": "transfer.cancelled", "transfer_id": transfer.pk},
        )
    return transfer


# --- Tickets ---------------------------------------------------------------------------------


@transaction.atomic
def attach_ticket(*, actor: User, call: Call, ticket_id: int, now: dt.datetime) -> Call:
    from soporte.tickets.models import Ticket

    _agent_of(actor)
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
    from soporte.tickets import services as tickets
    from soporte.tickets.models import Channel

    agent = _agent_of(actor)
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
    """Write the finished call's ticket note, bitácora entry (kind CALL) and QA scorecard."""
    from soporte.calls import qa
    from soporte.logbook import services as logbook
    from soporte.logbook.models import EntryKind, Logbook, LogbookKind
    from soporte.tickets import services as tickets

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
        author = staff.user if staff else tickets._desk_author(now)
        text = call_record_text(call)
        if call.ticket is not None:
            tickets.add_note(
                ticket=call.ticket, author=author, body=text, internal=True, now=now, log=False
            )
            book = tickets.ticket_logbook(call.ticket, now=now)
            subject = logbook.Subject("ticket", call.ticket.folio, call.ticket.subject)
        else:
            book = (
                Logbook.objects.filter(
                    kind=LogbookKind.CUSTOMER,
                    organisation_id=call.organisation_id,
                    closed_at__isnull=True,
                    head_number__gte=1,
                )
                .order_by("id")
                .first()
                if call.organisation_id
                else None
            ) or logbook.desk_logbook(now=now)
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
    live.broadcast(WALLBOARD_GROUP, {"type": "call.recorded", "id": call.pk})
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


def live_calls() -> Iterable[Call]:
    return (
        Call.objects.exclude(state=CallState.ENDED)
        .select_related("line", "person", "organisation", "agent__user")
        .order_by("started_at", "id")
    )


# --- Phone lines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineSecrets:
    """Shown once when a line is created or its credentials rotated; only hashes are kept."""

    token: str
    key_id: str
    hmac_secret: str


def _new_secrets(name: str) -> LineSecrets:
    import secrets

    from django.utils.text import slugify

    return LineSecrets(
        token=secrets.token_urlsafe(32),
        key_id=f"{slugify(name)[:24] or 'linea'}-{secrets.token_hex(4)}",
        hmac_secret=secrets.token_urlsafe(32),
    )


@transaction.atomic
def create_phone_line(
    *, name: str, cadence: str = "mx", signed_only: bool = False, now: dt.datetime
) -> tuple[PhoneLine, LineSecrets]:
    """A PBX integration: the URL token (Zammad mode) and the HMAC key (signed mode)."""
    from soporte.calls.events import token_hash
    from soporte.calls.models import Cadence

    if not name.strip():
        raise CallError(_("Ponga un nombre a la línea."), code="name_required")
    if cadence not in Cadence.values:
        raise CallError(_("Cadencia de timbre desconocida."), code="invalid_cadence")
    secrets_ = _new_secrets(name)
    line = PhoneLine.objects.create(
        name=name.strip()[:100],
        token_hash=token_hash(secrets_.token),
        token_hint=secrets_.token[-4:],
        key_id=secrets_.key_id,
        hmac_secret=secrets_.hmac_secret,
        signed_only=signed_only,
        cadence=cadence,
        created_at=now,
    )
    return line, secrets_


@transaction.atomic
def rotate_line_credentials(*, line: PhoneLine, now: dt.datetime) -> LineSecrets:
    """New token and secret; the old ones stop working within the endpoint's cache time."""
    from soporte.calls.events import token_hash

    secrets_ = _new_secrets(line.name)
    line.token_hash = token_hash(secrets_.token)
    line.token_hint = secrets_.token[-4:]
    line.key_id = secrets_.key_id
    line.hmac_secret = secrets_.hmac_secret
    line.save(update_fields=["token_hash", "token_hint", "key_id", "hmac_secret"])
    return secrets_
