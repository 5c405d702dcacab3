"""Stored calls as `metrics.CallRecord`s, with the keys a report groups them by.

Reports read; they never write another app's rows. One SELECT for the period's inbound ended
calls (their line's cadence, transfer kinds, the caller leaving on hold, the ticket's survey and
reopening as subqueries), plus one for the QA lines and one for the callbacks of those calls.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Coalesce

from soporte.calls.models import (
    CADENCE_SECONDS,
    Call,
    Callback,
    CallDirection,
    CallState,
    Hold,
    Outcome,
    Party,
    ScoreLine,
    Transfer,
    TransferState,
)
from soporte.reports.metrics import CallRecord, Definitions, Tally, tally
from soporte.tickets.models import Status, StatusChange

# A page answered in the request reads at most this many calls; a longer range is built in the
# background (reports.tasks) and the page shows its progress.
MAX_CALLS_IN_REQUEST = 50_000
PROGRESS_EVERY = 10_000  # calls read between two progress reports of a background build


@dataclass(frozen=True)
class Keys:
    """What a call is grouped by: all local to the desk's time zone."""

    day: dt.date
    hour: int
    slot: int  # half hour of the day, 0..47
    weekday: int  # 0 = Monday
    agent_id: int | None
    level: int | None
    area_id: int | None
    line_id: int
    hour_at: dt.datetime | None = None  # the UTC hour the call started in (summaries' key)


@dataclass(frozen=True)
class Scope:
    """Which calls: a half-open period and optional filters (an agent sees only their own)."""

    start_at: dt.datetime
    end_at: dt.datetime
    agent_id: int | None = None
    line_id: int | None = None
    level: int | None = None
    area_id: int | None = None


def _queryset(scope: Scope):  # type: ignore[no-untyped-def]
    calls = Call.objects.filter(
        direction=CallDirection.IN,
        state=CallState.ENDED,
        started_at__gte=scope.start_at,
        started_at__lt=scope.end_at,
    ).annotate(
        who=Coalesce("answered_by_id", "agent_id"),
    )
    if scope.agent_id is not None:
        calls = calls.filter(who=scope.agent_id)
    if scope.line_id is not None:
        calls = calls.filter(line_id=scope.line_id)
    if scope.level is not None:
        calls = calls.filter(
            Q(answered_by__level=scope.level) | Q(answered_by=None, agent__level=scope.level)
        )
    if scope.area_id is not None:
        calls = calls.filter(ticket__area_id=scope.area_id)
    return calls


def count_calls(scope: Scope) -> int:
    return int(_queryset(scope).count())


def records(scope: Scope) -> Iterable[tuple[Keys, CallRecord]]:
    """The scope's calls, oldest first, each with its grouping keys."""
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    # Transfers, holds the caller left on and reopened tickets are rare: one SELECT each for
    # the period, not a subquery per call (which cost more than the rest of the row).
    in_period = Q(call__started_at__gte=scope.start_at, call__started_at__lt=scope.end_at)
    transfers = dict(
        Transfer.objects.filter(in_period, state=TransferState.COMPLETED)
        .order_by("started_at", "id")
        .values_list("call_id", "kind")
    )
    left_on_hold_ids = set(
        Hold.objects.filter(in_period, ended_by_hangup=True).values_list("call_id", flat=True)
    )
    reopened_ids = set(
        StatusChange.objects.filter(
            from_status=Status.RESOLVED,
            to_status=Status.IN_PROGRESS,
            ticket__calls__started_at__gte=scope.start_at,
            ticket__calls__started_at__lt=scope.end_at,
        ).values_list("ticket_id", flat=True)
    )
    calls = _queryset(scope)
    rows = calls.order_by("started_at", "id").values_list(
        "id",
        "started_at",
        "answered_at",
        "ended_at",
        "ring_seconds",
        "outcome",
        "hold_count",
        "hold_seconds",
        "holds_over_limit",
        "hangup_by",
        "line_id",
        "line__cadence",
        "line__ring_on_seconds",
        "line__ring_off_seconds",
        "who",
        "answered_by__level",
        "agent__level",
        "ticket_id",
        "ticket__area_id",
        "ticket__survey__resolved",
    )
    qa: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for call_id, rule, verdict, override in ScoreLine.objects.filter(
        Q(
            scorecard__call__started_at__gte=scope.start_at,
            scorecard__call__started_at__lt=scope.end_at,
        )
    ).values_list("scorecard__call_id", "rule", "verdict", "override"):
        qa[call_id].append((rule, override or verdict))
    promised: dict[int, int] = defaultdict(int)
    kept: dict[int, int] = defaultdict(int)
    for call_id, done_at in Callback.objects.filter(in_period).values_list("call_id", "done_at"):
        promised[call_id] += 1
        kept[call_id] += done_at is not None
    for (
        pk,
        started_at,
        answered_at,
        ended_at,
        ring_seconds,
        outcome,
        hold_count,
        hold_seconds,
        holds_over_limit,
        hangup_by,
        line_id,
        cadence,
        ring_on,
        ring_off,
        who,
        answered_level,
        agent_level,
        ticket_id,
        area_id,
        survey_resolved,
    ) in rows.iterator(chunk_size=5000):
        on, off = CADENCE_SECONDS.get(cadence, (ring_on, ring_off))
        if outcome == Outcome.ANSWERED and answered_at is not None:
            kind = "answered"
            wait = (answered_at - started_at).total_seconds()
            # The call's connected time includes its holds; talk is the rest.
            connected = ((ended_at or answered_at) - answered_at).total_seconds()
            talk = max(0.0, connected - hold_seconds)
        elif outcome == Outcome.ABANDONED:
            kind = "abandoned"
            wait = ((ended_at or started_at) - started_at).total_seconds()
            talk = 0.0
        else:
            kind = "other"
            wait = ((ended_at or started_at) - started_at).total_seconds()
            talk = 0.0
        local = started_at.astimezone(tz)
        keys = Keys(
            day=local.date(),
            hour=local.hour,
            slot=local.hour * 2 + local.minute // 30,
            weekday=local.weekday(),
            agent_id=who,
            level=answered_level if answered_level is not None else agent_level,
            area_id=area_id,
            line_id=line_id,
            hour_at=started_at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0),
        )
        yield (
            keys,
            CallRecord(
                outcome=kind,  # type: ignore[arg-type]
                wait_seconds=wait,
                ring_seconds=ring_seconds,
                ring_period=on + off,
                abandon_place=(
                    "" if kind != "abandoned" else ("ringing" if ring_seconds else "queue")
                ),
                talk_seconds=talk,
                hold_count=hold_count,
                hold_seconds=hold_seconds if kind == "answered" else 0.0,
                holds_over_limit=holds_over_limit,
                hung_up_on_hold=(
                    kind == "answered" and pk in left_on_hold_ids and hangup_by == Party.CALLER
                ),
                transfer=transfers.get(pk, ""),  # type: ignore[arg-type]
                callbacks_promised=promised.get(pk, 0),
                callbacks_kept=kept.get(pk, 0),
                survey_resolved=survey_resolved,
                ticket_reopened=None if ticket_id is None else ticket_id in reopened_ids,
                qa=tuple(qa.get(pk, ())),
            ),
        )


DIMENSIONS = ("day", "agent", "level", "area", "line", "hour")


def _key(keys: Keys, dimension: str) -> object:
    if dimension == "day":
        return keys.day
    if dimension == "agent":
        return keys.agent_id
    if dimension == "level":
        return keys.level
    if dimension == "area":
        return keys.area_id
    if dimension == "line":
        return keys.line_id
    if dimension == "hour":
        return keys.hour
    raise ValueError(dimension)


@dataclass
class Tallies:
    total: Tally
    groups: dict[object, Tally]
    heat: dict[tuple[int, int], int]  # (weekday, hour) → calls offered


def tallies(
    scope: Scope,
    dimension: str,
    definitions: Definitions,
    progress: Callable[[int], None] | None = None,
) -> Tallies:
    """The whole scope's tally, one per group of `dimension`, and offered calls per weekday ×
    hour, in one pass over the calls."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    per_group: dict[object, list[CallRecord]] = defaultdict(list)
    heat: dict[tuple[int, int], int] = defaultdict(int)
    for n, (keys, record) in enumerate(records(scope), start=1):
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(n)
        per_group[_key(keys, dimension)].append(record)
        if record.outcome != "other":
            heat[(keys.weekday, keys.hour)] += 1
    groups = {key: tally(recs, definitions) for key, recs in per_group.items()}
    total = Tally()
    for group in groups.values():
        total.add(group)
    return Tallies(total=total, groups=groups, heat=dict(heat))
