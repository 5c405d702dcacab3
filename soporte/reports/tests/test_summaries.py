"""The calls report read from the summaries gives the raw computation's figures.

Same calls, two readings: `reads.tallies` (every call, one by one) and `summaries.tallies`
(the summarised hours plus the calls of the unsummarised edges), for every grouping, with
filters, and for definition variants on and off the ladders.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest

from soporte.calls.models import Callback, PhoneLine, Scorecard, ScoreLine
from soporte.directory.models import Area
from soporte.reports import calls_report, reads, summaries
from soporte.reports.metrics import Definitions, Tally
from soporte.reports.models import CallSummary, SummaryState
from soporte.tickets import services as ticket_services
from soporte.tickets.models import Channel, Status, StatusChange, Survey, Ticket

SECONDS = {"wait_answered_seconds", "talk_seconds", "hold_seconds", "wrap_seconds"}


def same_tally(a: Tally, b: Tally) -> None:
    for field in dataclasses.fields(Tally):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if field.name in SECONDS:
            # Sums of the same floats in another order: equal to the last few bits.
            assert x == pytest.approx(y, rel=1e-12, abs=1e-9), field.name
        else:
            assert x == y, field.name


def same(a: reads.Tallies, b: reads.Tallies) -> None:
    assert set(a.groups) == set(b.groups)
    for key in a.groups:
        same_tally(a.groups[key], b.groups[key])
    same_tally(a.total, b.total)
    assert a.heat == b.heat


@pytest.fixture
def history(personas, line, store_call, make_agent, now):
    """Three days of calls before `now` on two lines (Mexican and US cadences), three agents of
    two levels, waits on the definitions' edges (exactly 5 s, 20 s, 20.000001 s), tickets
    with areas, surveys and a reopening, QA lines with an override, callbacks."""
    rng = random.Random(17)
    us_line = PhoneLine.objects.create(name="Línea EUA", cadence="us", created_at=now)
    agents = [personas.agent.agent, make_agent("ana.n2", level=2), make_agent("beto.n1")]
    areas = [Area.objects.create(code="redes", name="Redes"), None]
    start = summaries.floor_hour(now - dt.timedelta(days=3))
    edges = [0.0, 4.999999, 5.0, 5.000001, 10.0, 19.5, 20.0, 20.000001, 30.0, 600.0, 601.0]
    calls = []
    for i in range(160):
        at = start + dt.timedelta(seconds=rng.randrange(3 * 24 * 3600 - 7200))
        wait = rng.choice(edges) if i % 3 == 0 else round(rng.expovariate(1 / 15), 3)
        outcome = rng.choices(["answered", "abandoned", "missed"], [7, 3, 1])[0]
        answered = outcome == "answered"
        calls.append(
            store_call(
                rng.choice([line, us_line]),
                at,
                wait=wait,
                outcome=outcome,
                talk=rng.uniform(30, 600) if answered else 0.0,
                holds=tuple(rng.uniform(5, 90) for _ in range(rng.choice([0, 0, 1, 2])))
                if answered
                else (),
                ring=min(wait, 25.0) if answered or rng.random() < 0.5 else None,
                agent=rng.choice(agents) if answered else None,
                transfer=rng.choice(["", "", "", "warm", "blind"]) if answered else "",
            )
        )
    for n, call in enumerate(c for c in calls if c.outcome == "answered"):
        if n % 2:
            continue
        ticket = ticket_services.open_ticket(
            actor=personas.agent,
            data=ticket_services.NewTicket(
                organisation=personas.org_a,
                requester=personas.person_a,
                subject=f"Llamada {n}",
                description="Equipo lento.",
                channel=Channel.PHONE,
            ),
            now=call.started_at,
        )
        Ticket.objects.filter(pk=ticket.pk).update(area=areas[n % 4 == 0])
        call.ticket = ticket
        call.save(update_fields=["ticket"])
        if n % 3 == 0:
            Survey.objects.create(
                ticket=ticket,
                satisfaction=4,
                resolved=n % 9 != 0,
                answered_by=personas.customer_a,
                answered_at=call.ended_at,
            )
        if n % 5 == 0:
            StatusChange.objects.create(
                ticket=ticket,
                from_status=Status.RESOLVED,
                to_status=Status.IN_PROGRESS,
                actor=personas.agent,
                at=call.ended_at,
            )
        if n % 4 == 0:
            card = Scorecard.objects.create(
                call=call, agent=call.answered_by, created_at=call.ended_at, updated_at=now
            )
            ScoreLine.objects.create(scorecard=card, rule="T1", verdict="passed")
            ScoreLine.objects.create(
                scorecard=card, rule="H3", verdict="failed", override="passed" if n % 8 else ""
            )
        if n % 6 == 0:
            Callback.objects.create(
                call=call,
                agent=call.answered_by,
                phone="5550001111",
                due_at=call.ended_at,
                created_at=call.ended_at,
                created_by=personas.agent,
                done_at=call.ended_at if n % 12 == 0 else None,
            )
    return {"start": start, "agents": agents, "lines": [line, us_line], "areas": areas}


ON_LADDER = [
    Definitions(),
    Definitions(answer_target_seconds=10, short_abandon_seconds=0),
    Definitions(answer_target_seconds=5, short_abandon_seconds=10),  # S > T
    Definitions(
        answer_target_seconds=600,
        short_abandon_seconds=60,
        abandons_in_service_level=False,
        short_abandons_in_service_level=False,
        short_abandons_in_abandon_rate=False,
    ),
]


@pytest.mark.parametrize("definitions", ON_LADDER)
@pytest.mark.parametrize("dimension", reads.DIMENSIONS)
def test_the_summaries_give_the_raw_figures(history, now, dimension, definitions):
    summaries.refresh(now)
    # A period whose edges are not whole hours: the edges are read from the calls.
    scope = reads.Scope(
        start_at=history["start"] + dt.timedelta(minutes=37),
        end_at=now - dt.timedelta(hours=5, minutes=11),
    )
    assert summaries.covered(scope, definitions) is not None
    same(
        summaries.tallies(scope, dimension, definitions),
        reads.tallies(scope, dimension, definitions),
    )
    same_report(
        calls_report.build(scope, dimension, definitions),
        _raw_report(scope, dimension, definitions),
    )


def same_report(a, b):
    """Equal, floats to their last few bits (sums of the same floats in another order)."""
    if isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-12)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            same_report(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            same_report(x, y)
    else:
        assert a == b


def _raw_report(scope, dimension, definitions):
    """The report as it was built before the summaries: every call read."""
    from unittest import mock

    with mock.patch.object(summaries, "covered", return_value=None):
        return calls_report.build(scope, dimension, definitions)


@pytest.mark.parametrize(
    "filters",
    [
        {"agent": 0},
        {"agent": 1, "line": 1},
        {"level": 2},
        {"area": 0},
        {"line": 0, "level": 1},
    ],
)
def test_filters_read_from_the_summaries_match_the_calls(history, now, filters):
    summaries.refresh(now)
    scope = reads.Scope(
        start_at=history["start"],
        end_at=now,
        agent_id=history["agents"][filters["agent"]].pk if "agent" in filters else None,
        line_id=history["lines"][filters["line"]].pk if "line" in filters else None,
        level=filters.get("level"),
        area_id=history["areas"][filters["area"]].pk if "area" in filters else None,
    )
    for dimension in ("day", "agent", "hour"):
        same(
            summaries.tallies(scope, dimension, Definitions()),
            reads.tallies(scope, dimension, Definitions()),
        )


def test_a_target_off_the_ladders_reads_the_calls(history, now):
    summaries.refresh(now)
    scope = reads.Scope(start_at=history["start"], end_at=now)
    odd = Definitions(answer_target_seconds=17, short_abandon_seconds=7)
    assert summaries.covered(scope, odd) is None
    assert summaries.calls_to_read(scope, odd) == reads.count_calls(scope)
    same(summaries.tallies(scope, "day", odd), reads.tallies(scope, "day", odd))
    # On the ladders, only the edges not summarised yet are read one by one.
    assert summaries.calls_to_read(scope, Definitions()) < reads.count_calls(scope)


def test_later_changes_reach_the_summaries_at_the_next_refresh(history, now, personas):
    summaries.refresh(now)
    scope = reads.Scope(start_at=history["start"], end_at=now)
    before = summaries.tallies(scope, "agent", Definitions()).total
    # A survey answered, a ticket reopened and a QA line overridden after the hour was
    # summarised, and a call whose ticket is attached late.
    ticket = (
        Ticket.objects.filter(calls__isnull=False, survey__isnull=True)
        .exclude(status_changes__from_status=Status.RESOLVED)
        .first()
    )
    assert ticket is not None
    later = now + dt.timedelta(minutes=3)
    Survey.objects.create(
        ticket=ticket,
        satisfaction=2,
        resolved=False,
        answered_by=personas.customer_a,
        answered_at=later,
    )
    StatusChange.objects.create(
        ticket=ticket,
        from_status=Status.RESOLVED,
        to_status=Status.IN_PROGRESS,
        actor=personas.agent,
        at=later,
    )
    line = ScoreLine.objects.filter(rule="H3", override="").first()
    line.override, line.reviewed_at = "passed", later
    line.save()
    summaries.refresh(later + dt.timedelta(minutes=1))
    after = summaries.tallies(scope, "agent", Definitions())
    assert after.total.surveyed == before.surveyed + 1
    assert after.total.not_reopened == before.not_reopened - 1
    assert after.total.qa["H3"][0] == before.qa["H3"][0] + 1
    same(after, reads.tallies(scope, "agent", Definitions()))


def test_a_call_stored_late_in_a_summarised_hour_is_counted(history, now, store_call, line):
    summaries.refresh(now)
    # A history loaded after the first refresh (the demo, an import): calls days old.
    store_call(line, history["start"] + dt.timedelta(hours=1, minutes=7), wait=4)
    store_call(line, history["start"] + dt.timedelta(days=1), wait=50, outcome="abandoned")
    summaries.refresh(now + dt.timedelta(minutes=1))
    scope = reads.Scope(start_at=history["start"], end_at=now)
    same(
        summaries.tallies(scope, "day", Definitions()),
        reads.tallies(scope, "day", Definitions()),
    )


def test_an_hour_with_a_live_call_waits_and_refreshing_twice_changes_nothing(
    history, now, store_call, line
):
    live = store_call(line, now - dt.timedelta(hours=2), wait=3)
    live.state = "talking"
    live.save(update_fields=["state"])
    summaries.refresh(now)
    until = SummaryState.objects.get(pk=1).summarised_until
    assert until == summaries.floor_hour(live.started_at)
    rows = stored_rows()
    summaries.refresh(now)  # re-summarises the hours that changed since: the same rows
    assert stored_rows() == rows


def stored_rows():
    rows = [{k: v for k, v in r.items() if k != "id"} for r in CallSummary.objects.values()]
    return sorted(rows, key=lambda r: [str(v) for v in r.values()])


def test_the_backfill_command_summarises_the_whole_history(history, now):
    from django.core.management import call_command

    call_command("summarise_calls", "--rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert SummaryState.objects.get(pk=1).summarised_until == summaries.floor_hour(
        now - summaries.SETTLE
    )
    scope = reads.Scope(start_at=history["start"], end_at=now)
    same(
        summaries.tallies(scope, "line", Definitions()),
        reads.tallies(scope, "line", Definitions()),
    )
