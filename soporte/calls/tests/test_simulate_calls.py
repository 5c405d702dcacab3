"""`soporte simulate-calls` plays realistic call stories through the real HTTP endpoint."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest
from django.core.management import call_command

from soporte.calls.models import Call, CallEvent, Hold, Outcome, Party, Transfer
from soporte.calls.simulation import Planner, SimAgent, arrivals
from soporte.calls.tests.conftest import TOKEN
from soporte.lib import refcache

AGENTS = [SimAgent(f"Agente {n}", f"10{n}") for n in range(1, 7)]


def plan_day(seed: int, rate: float = 2.0, minutes: float = 480):
    rng = random.Random(seed)
    planner = Planner(rng, agents=AGENTS, known_numbers=["5255501234"])
    return [planner.plan(t) for t in arrivals(rng, rate_per_minute=rate, seconds=minutes * 60)]


def test_arrivals_are_poisson_at_the_asked_rate():
    times = arrivals(random.Random(1), rate_per_minute=10, seconds=600 * 60)
    assert 5700 < len(times) < 6300
    assert times == sorted(times)


def test_stories_cover_every_behaviour_and_are_reproducible():
    stories = plan_day(7)
    assert [s.steps for s in stories] == [s.steps for s in plan_day(7)]
    events = Counter(step.payload["event"] for s in stories for step in s.steps)
    assert {"newCall", "answer", "hold", "unhold", "transfer", "hangup"} <= set(events)
    payloads = [step.payload for s in stories for step in s.steps]
    assert {"caller", "agent"} <= {p.get("initiator") for p in payloads if p["event"] == "hangup"}
    assert {"attended", "blind"} <= {p["type"] for p in payloads if p["event"] == "transfer"}
    assert any(p.get("cause") == "cancel" for p in payloads)
    assert {"abandoned", "answered", "missed"} <= {s.outcome for s in stories}
    for story in stories:
        offsets = [step.offset for step in story.steps]
        assert offsets == sorted(offsets) and story.steps[-1].payload["event"] == "hangup"


def test_an_agent_is_never_planned_on_two_calls_at_once():
    busy: dict[str, list[tuple[float, float]]] = {}
    for story in plan_day(11, rate=4):
        for name, span in story.busy.items():
            busy.setdefault(name, []).append(span)
    for spans in busy.values():
        spans.sort()
        assert all(a[1] <= b[0] + 1e-6 for a, b in itertools.pairwise(spans))


@pytest.mark.django_db(transaction=True)
def test_command_drives_the_real_http_endpoint(live_server, line, personas, capsys, make_agent):
    # Given a line and a live server, when 40 simulated minutes play at ×600 speed,
    # then every event is acknowledged and the calls are stored with their stories.
    for n in range(4):
        agent = make_agent(f"agente.{n}", level=1 + n % 2)
        agent.extension = f"20{n}"
        agent.save()
    refcache.forget_all()
    call_command(
        "simulate-calls",
        url=live_server.url,
        token=TOKEN,
        rate=1.5,
        minutes=40,
        seed=3,
        speed=600,
        concurrency=8,
    )
    out = capsys.readouterr().out
    assert "Resumen:" in out and "errores de conexión 0" in out
    calls = Call.objects.filter(line=line)
    assert calls.count() > 40, out
    assert not calls.exclude(state="ended").exists()
    assert {Outcome.ANSWERED, Outcome.ABANDONED} <= set(calls.values_list("outcome", flat=True))
    assert {Party.CALLER, Party.AGENT} <= set(calls.values_list("hangup_by", flat=True))
    assert Hold.objects.filter(call__line=line).exists()
    assert Transfer.objects.filter(call__line=line).exists(), (
        out,
        Counter(CallEvent.objects.filter(line=line).values_list("kind", flat=True)),
    )
    sent = int(out.split(" eventos en ")[0].rsplit(" ", 1)[-1])
    assert CallEvent.objects.filter(line=line).count() == sent
