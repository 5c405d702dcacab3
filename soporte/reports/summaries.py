"""Summaries of finished calls, kept up to date as calls finish, and the calls report read
from them (issue 17's performance targets: a month in under 500 ms, a year under 1 s).

`reads.tallies` reads every call of a range and tallies it in Python (~150 µs a call); over a
year of 2,000,000 calls that is minutes. Here the calls of each UTC hour are tallied once, by
the same code (`reads.records` + `metrics.tally`), into `CallSummary` rows (and `QaSummary`
for the QA verdicts), and a report adds rows up in SQL. The result is the raw computation's:
the counts that depend on the desk's definitions are stored for every answer target and
short-abandon threshold of the ladders in `models` (compared with the same `<=` and `<` as
`metrics.tally`), and a report whose definitions are off the ladders, or the part of a range
not summarised yet (the last minutes, hours that do not start on a UTC hour), reads the calls.
`test_summaries` compares both on the same data.

Nothing in `calls` or `tickets` knows about this: the periodic job `reports.tasks.summarise_calls`
(`refresh`) summarises the hours that have ended, and re-summarises the hours whose calls
changed since its last run: a call updated, a survey answered, a ticket reopened or edited, a
scorecard reviewed, a callback promised or kept. Refreshing an hour replaces its rows, so
running twice, or over an hour already summarised, changes nothing.

What a summary keeps as it was when summarised, where the raw reading would use today's value:
the agent's level and the ticket's area are the ones at the last refresh of the call's hour
(a ticket edit re-summarises it; an agent's promotion does not move past calls), and the ring
cadence of the line. `soporte summarise_calls --rebuild` recomputes everything.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import Min, Q, Sum

from soporte.calls.models import Call, Callback, CallDirection, CallState, Scorecard, ScoreLine
from soporte.reports import reads
from soporte.reports.metrics import CallRecord, Definitions, Tally, tally
from soporte.reports.models import (
    ANSWER_TARGETS,
    SHORT_ABANDONS,
    SUMMED_COUNTS,
    SUMMED_SECONDS,
    CallSummary,
    QaSummary,
    SummaryState,
    abandoned_within,
    answered_within,
    short_abandons_under,
)
from soporte.tickets.models import Status, StatusChange, Survey, Ticket

HOUR = dt.timedelta(hours=1)
# An hour is summarised once it has been over for this long (a call's last events and its
# hold and transfer rows are written within seconds of its end).
SETTLE = dt.timedelta(minutes=5)
# Changes are looked for since the last run minus this overlap: a transaction that committed
# late with an earlier timestamp is still seen (re-summarising an hour twice is harmless).
OVERLAP = dt.timedelta(minutes=5)
# A call still live after this long is taken as stuck (a lost hang-up event): it does not hold
# its hour back; when it ends, its update re-summarises the hour.
STUCK = dt.timedelta(hours=12)
# Calls updated after they started are looked for among those that started this recently
# (an index on started_at serves it); later edits wait for `summarise_calls --rebuild`.
CALL_EDITS_WITHIN = dt.timedelta(days=3)
# One run summarises at most this much new history (the first run on a desk with a long past
# goes on in the next runs; reports read the calls of what is not summarised yet).
MAX_NEW_PER_RUN = dt.timedelta(days=31)

DIMENSION_COLUMNS = {
    "day": "day",
    "agent": "agent_id",
    "level": "level",
    "area": "area_id",
    "line": "line_id",
    "hour": "hour",
}


def floor_hour(at: dt.datetime) -> dt.datetime:
    """The UTC hour `at` falls in (a desk whose offset is not whole hours has local hours that
    straddle two UTC hours: their edges are read from the calls)."""
    return at.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(at: dt.datetime) -> dt.datetime:
    floor = floor_hour(at)
    return floor if floor == at else floor + HOUR


def on_ladders(definitions: Definitions) -> bool:
    return definitions.answer_target_seconds in ANSWER_TARGETS and (
        definitions.short_abandon_seconds == 0
        or definitions.short_abandon_seconds in SHORT_ABANDONS
    )


# --- writing -----------------------------------------------------------------------------------

_BASE = Definitions()  # definition-independent counts; the ladders are counted separately


def _summary_row(key: tuple[Any, ...], records: list[CallRecord]) -> CallSummary:
    t = tally(records, _BASE)
    answered = sorted(r.wait_seconds for r in records if r.outcome == "answered")
    abandoned = sorted(r.wait_seconds for r in records if r.outcome == "abandoned")
    hour_at, day, hour, weekday, agent_id, level, area_id, line_id = key
    values: dict[str, Any] = {name: getattr(t, name) for name in SUMMED_COUNTS + SUMMED_SECONDS}
    for target in ANSWER_TARGETS:
        # metrics.tally: within target when wait <= T; a short abandon when wait < S.
        values[answered_within(target)] = bisect.bisect_right(answered, target)
        values[abandoned_within(target)] = bisect.bisect_right(abandoned, target)
    for short in SHORT_ABANDONS:
        values[short_abandons_under(short)] = bisect.bisect_left(abandoned, short)
    return CallSummary(
        hour_at=hour_at,
        day=day,
        hour=hour,
        weekday=weekday,
        agent_id=agent_id,
        level=level,
        area_id=area_id,
        line_id=line_id,
        **values,
    )


def summarise(start_at: dt.datetime, end_at: dt.datetime) -> int:
    """Replace the summaries of the UTC hours in [start_at, end_at) (whole hours) with the
    tally of their calls; returns how many calls were read."""
    if floor_hour(start_at) != start_at or floor_hour(end_at) != end_at:
        raise ValueError("summaries cover whole UTC hours")
    groups: dict[tuple[Any, ...], list[CallRecord]] = defaultdict(list)
    n = 0
    for keys, record in reads.records(reads.Scope(start_at=start_at, end_at=end_at)):
        n += 1
        groups[
            (
                keys.hour_at,
                keys.day,
                keys.hour,
                keys.weekday,
                keys.agent_id,
                keys.level,
                keys.area_id,
                keys.line_id,
            )
        ].append(record)
    rows = [_summary_row(key, records) for key, records in groups.items()]
    qa_rows: list[QaSummary] = []
    for key, records in groups.items():
        verdicts: dict[str, list[int]] = {}
        for record in records:
            for rule, verdict in record.qa:
                counts = verdicts.setdefault(rule, [0, 0])
                if verdict == "passed":
                    counts[0] += 1
                elif verdict == "failed":
                    counts[1] += 1
        hour_at, day, hour, weekday, agent_id, level, area_id, line_id = key
        qa_rows.extend(
            QaSummary(
                hour_at=hour_at,
                day=day,
                hour=hour,
                weekday=weekday,
                agent_id=agent_id,
                level=level,
                area_id=area_id,
                line_id=line_id,
                rule=rule,
                passed=passed,
                failed=failed,
            )
            for rule, (passed, failed) in verdicts.items()
        )
    with transaction.atomic():
        CallSummary.objects.filter(hour_at__gte=start_at, hour_at__lt=end_at).delete()
        QaSummary.objects.filter(hour_at__gte=start_at, hour_at__lt=end_at).delete()
        CallSummary.objects.bulk_create(rows, batch_size=500)
        QaSummary.objects.bulk_create(qa_rows, batch_size=500)
    return n


def _state() -> SummaryState:
    state, _created = SummaryState.objects.get_or_create(pk=1)
    return state


def _changed_hours(
    since: dt.datetime, after_id: int, before: dt.datetime, now: dt.datetime
) -> set[dt.datetime]:
    """UTC hours before `before` whose calls changed at or after `since`, or that gained a
    call stored after the one numbered `after_id`."""
    summarised = Q(started_at__lt=before)
    started: list[dt.datetime] = list(
        Call.objects.filter(
            summarised,
            started_at__gte=now - CALL_EDITS_WITHIN,
            updated_at__gte=since,
        ).values_list("started_at", flat=True)
    )
    started += Call.objects.filter(summarised, pk__gt=after_id).values_list("started_at", flat=True)
    tickets = (
        set(Survey.objects.filter(answered_at__gte=since).values_list("ticket_id", flat=True))
        | set(
            StatusChange.objects.filter(
                at__gte=since, from_status=Status.RESOLVED, to_status=Status.IN_PROGRESS
            ).values_list("ticket_id", flat=True)
        )
        | set(Ticket.objects.filter(updated_at__gte=since).values_list("pk", flat=True))
    )
    if tickets:
        started += Call.objects.filter(summarised, ticket_id__in=tickets).values_list(
            "started_at", flat=True
        )
    call_ids = (
        set(Scorecard.objects.filter(updated_at__gte=since).values_list("call_id", flat=True))
        | set(
            ScoreLine.objects.filter(reviewed_at__gte=since).values_list(
                "scorecard__call_id", flat=True
            )
        )
        | set(
            Callback.objects.filter(
                Q(created_at__gte=since) | Q(done_at__gte=since), call_id__isnull=False
            ).values_list("call_id", flat=True)
        )
    )
    if call_ids:
        started += Call.objects.filter(summarised, pk__in=call_ids).values_list(
            "started_at", flat=True
        )
    return {floor_hour(at) for at in started}


def refresh(now: dt.datetime, progress: Callable[[str], None] | None = None) -> int:
    """Summarise the hours that have ended and re-summarise the hours that changed; returns
    how many calls were read."""
    state = _state()
    # Read first: a call stored while this run goes on is seen by the next one.
    last_call_id = Call.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    # Hours are summarised once over, and not while a call that started in them is live.
    until = floor_hour(now - SETTLE)
    oldest_live = (
        Call.objects.filter(started_at__gte=now - STUCK)
        .exclude(state=CallState.ENDED)
        .aggregate(at=Min("started_at"))["at"]
    )
    if oldest_live is not None:
        until = min(until, floor_hour(oldest_live))
    start = state.summarised_until
    if start is None:
        first = Call.objects.filter(direction=CallDirection.IN).aggregate(at=Min("started_at"))[
            "at"
        ]
        start = floor_hour(first) if first is not None else until
    n = 0
    if state.summarised_until is not None and state.changes_seen_at is not None:
        since = state.changes_seen_at - OVERLAP
        for hour in sorted(_changed_hours(since, state.last_call_id, start, now)):
            n += summarise(hour, hour + HOUR)
    state.changes_seen_at = now
    state.last_call_id = last_call_id
    end = min(until, start + MAX_NEW_PER_RUN) if start < until else start
    # Day by day, so that a long catch-up shows its progress and commits as it goes.
    at = start
    while at < end:
        step = min(end, at + dt.timedelta(days=1))
        n += summarise(at, step)
        at = step
        if progress is not None:
            progress(at.isoformat())
    state.summarised_until = max(start, end)
    state.save()
    return n


# --- reading -----------------------------------------------------------------------------------


def covered(scope: reads.Scope, definitions: Definitions) -> tuple[dt.datetime, dt.datetime] | None:
    """The part [a, b) of the scope that the summaries answer, or None."""
    if not on_ladders(definitions):
        return None
    until = SummaryState.objects.filter(pk=1).values_list("summarised_until", flat=True).first()
    if until is None:
        return None
    a, b = ceil_hour(scope.start_at), min(floor_hour(scope.end_at), until)
    return (a, b) if a < b else None


def _raw_parts(
    scope: reads.Scope, part: tuple[dt.datetime, dt.datetime] | None
) -> list[reads.Scope]:
    if part is None:
        return [scope]
    a, b = part
    out = []
    if scope.start_at < a:
        out.append(_with_period(scope, scope.start_at, a))
    if b < scope.end_at:
        out.append(_with_period(scope, b, scope.end_at))
    return out


def _with_period(scope: reads.Scope, start_at: dt.datetime, end_at: dt.datetime) -> reads.Scope:
    return reads.Scope(
        start_at=start_at,
        end_at=end_at,
        agent_id=scope.agent_id,
        line_id=scope.line_id,
        level=scope.level,
        area_id=scope.area_id,
    )


def calls_to_read(scope: reads.Scope, definitions: Definitions) -> int:
    """How many calls a report of this scope reads one by one (the rest comes summarised)."""
    return sum(reads.count_calls(part) for part in _raw_parts(scope, covered(scope, definitions)))


def _filtered(model: Any, scope: reads.Scope, a: dt.datetime, b: dt.datetime) -> Any:
    rows = model.objects.filter(hour_at__gte=a, hour_at__lt=b)
    if scope.agent_id is not None:
        rows = rows.filter(agent_id=scope.agent_id)
    if scope.line_id is not None:
        rows = rows.filter(line_id=scope.line_id)
    if scope.level is not None:
        rows = rows.filter(level=scope.level)
    if scope.area_id is not None:
        rows = rows.filter(area_id=scope.area_id)
    return rows


def _summed(
    scope: reads.Scope,
    part: tuple[dt.datetime, dt.datetime],
    dimension: str,
    definitions: Definitions,
) -> tuple[dict[object, Tally], dict[tuple[int, int], int]]:
    column = DIMENSION_COLUMNS[dimension]
    target = definitions.answer_target_seconds
    short = definitions.short_abandon_seconds
    sums = {name: Sum(name) for name in SUMMED_COUNTS + SUMMED_SECONDS}
    sums["answered_within_target"] = Sum(answered_within(target))
    sums["abandoned_within_target"] = Sum(abandoned_within(target))
    if short:
        sums["short_abandons"] = Sum(short_abandons_under(short))
    a, b = part
    groups: dict[object, Tally] = {}
    # One query per grouping and one for the weekday × hour grid: grouping by both at once
    # returns a row per day and hour, and converting those rows cost more than the sums.
    rows = _filtered(CallSummary, scope, a, b).values(column).annotate(**sums)
    for row in rows.order_by():
        t = groups.setdefault(row[column], Tally())
        for name in SUMMED_COUNTS:
            setattr(t, name, getattr(t, name) + row[name])
        for name in SUMMED_SECONDS:
            setattr(t, name, getattr(t, name) + row[name])
        t.answered_within_target += row["answered_within_target"]
        t.abandoned_within_target += row["abandoned_within_target"]
        shorts = row.get("short_abandons", 0)
        t.short_abandons += shorts
        # A short abandon (wait < S) is within T (wait <= T) when S <= T; when S > T every
        # abandon within T is short.
        t.short_abandons_within_target += (
            shorts if short <= target else row["abandoned_within_target"]
        )
    heat: dict[tuple[int, int], int] = {}
    cells = (
        _filtered(CallSummary, scope, a, b)
        .values_list("weekday", "hour")
        .annotate(offered=Sum("offered"))
        .order_by()
    )
    for weekday, hour, offered in cells:
        if offered:
            heat[(weekday, hour)] = offered
    qa = (
        _filtered(QaSummary, scope, a, b)
        .values(column, "rule")
        .annotate(passed=Sum("passed"), failed=Sum("failed"))
    )
    for row in qa.order_by():
        t = groups.setdefault(row[column], Tally())
        counts = t.qa.setdefault(row["rule"], [0, 0])
        counts[0] += row["passed"]
        counts[1] += row["failed"]
    return groups, heat


def tallies(
    scope: reads.Scope,
    dimension: str,
    definitions: Definitions,
    progress: Callable[[int], None] | None = None,
) -> reads.Tallies:
    """`reads.tallies`, from the summaries where they answer and the calls elsewhere."""
    if dimension not in reads.DIMENSIONS:
        raise ValueError(dimension)
    part = covered(scope, definitions)
    if part is None:
        return reads.tallies(scope, dimension, definitions, progress)
    groups, heat = _summed(scope, part, dimension, definitions)
    for raw_scope in _raw_parts(scope, part):
        raw = reads.tallies(raw_scope, dimension, definitions, progress)
        _merge(groups, raw.groups.items())
        for cell, count in raw.heat.items():
            heat[cell] = heat.get(cell, 0) + count
    total = Tally()
    for group in groups.values():
        total.add(group)
    return reads.Tallies(total=total, groups=groups, heat=heat)


def _merge(groups: dict[object, Tally], more: Iterable[tuple[object, Tally]]) -> None:
    for key, t in more:
        if key in groups:
            groups[key].add(t)
        else:
            groups[key] = t
