"""The staffing planner: agents needed per half hour to meet a target such as "80 % answered
before the third ring", with Erlang C and Erlang A, from typed figures or the desk's history.

History gives, per weekday and half hour (averaged over the weeks read): calls offered, the
handle time, the callers' patience (estimated as total waiting time of every caller ÷ number
of abandons: the exponential patience that best explains the abandons seen, answered callers
counting as having waited at least their wait) and the agents actually present (distinct
agents who answered a call in that half hour).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass

from soporte.calls.models import CADENCE_SECONDS
from soporte.reports import erlang, reads
from soporte.reports.metrics import RING_LIMIT

SLOT_MINUTES = 30
SLOTS = 24 * 60 // SLOT_MINUTES
SPAN = 3  # head counts shown on each side of the answer


def target_from_rings(rings: int, cadence: str) -> float:
    """Seconds before the `rings`-th ring starts: "before the third ring" of the Mexican
    cadence (1 s on, 4 s off) is two full periods, 10 s."""
    on, off = CADENCE_SECONDS[cadence]
    return (rings - 1) * (on + off)


@dataclass(frozen=True)
class Goal:
    service_level: float = 0.8
    target_seconds: float = target_from_rings(RING_LIMIT, "mx")
    shrinkage: float = 0.3
    max_occupancy: float = 0.85


@dataclass(frozen=True)
class Load:
    calls: float  # offered per half hour
    aht_seconds: float
    patience_seconds: float | None = None
    present: float | None = None  # agents actually answering (history only)


def row_for(load: Load, goal: Goal) -> dict[str, object]:
    """One interval: agents needed with Erlang C and Erlang A, and what they achieve."""
    rate = load.calls / (SLOT_MINUTES * 60)
    out: dict[str, object] = {"calls": load.calls, "aht": load.aht_seconds, "present": load.present}
    if load.calls <= 0:
        out.update(c_agents=0, c_scheduled=0, c_sl=None, a_agents=0, a_scheduled=0, a_sl=None)
        return out
    c = erlang.required_agents(
        calls_per_second=rate,
        aht_seconds=load.aht_seconds,
        target_seconds=goal.target_seconds,
        service_level=goal.service_level,
        max_occupancy=goal.max_occupancy,
        shrinkage=goal.shrinkage,
    )
    out.update(c_agents=c.agents, c_scheduled=c.scheduled, c_sl=c.performance.service_level)
    if load.patience_seconds:
        a = erlang.required_agents(
            calls_per_second=rate,
            aht_seconds=load.aht_seconds,
            target_seconds=goal.target_seconds,
            service_level=goal.service_level,
            max_occupancy=goal.max_occupancy,
            shrinkage=goal.shrinkage,
            patience_seconds=load.patience_seconds,
        )
        out.update(
            a_agents=a.agents,
            a_scheduled=a.scheduled,
            a_sl=a.performance.service_level,
            a_abandon=a.performance.abandon_probability,
        )
    else:
        out.update(a_agents=None, a_scheduled=None, a_sl=None, a_abandon=None)
    return out


def around(load: Load, goal: Goal) -> list[dict[str, object]]:
    """Service level, ASA, occupancy and abandonment for each head count around the answer,
    so a supervisor sees what one more or one less agent does."""
    rate = load.calls / (SLOT_MINUTES * 60)
    if rate <= 0:
        return []
    need = erlang.required_agents(
        calls_per_second=rate,
        aht_seconds=load.aht_seconds,
        target_seconds=goal.target_seconds,
        service_level=goal.service_level,
        max_occupancy=goal.max_occupancy,
    ).agents
    rows = []
    for agents in range(max(1, need - SPAN), need + SPAN + 1):
        c = erlang.erlang_c_performance(
            agents,
            calls_per_second=rate,
            aht_seconds=load.aht_seconds,
            target_seconds=goal.target_seconds,
        )
        row: dict[str, object] = {
            "agents": agents,
            "scheduled": math.ceil(round(agents / (1 - goal.shrinkage), 9)),
            "answer": agents == need,
            "c_sl": c.service_level,
            "c_asa": c.asa_seconds if math.isfinite(c.asa_seconds) else None,
            "c_occupancy": c.occupancy,
            "c_wait": c.wait_probability,
        }
        if load.patience_seconds:
            a = erlang.erlang_a_performance(
                agents,
                calls_per_second=rate,
                aht_seconds=load.aht_seconds,
                target_seconds=goal.target_seconds,
                patience_seconds=load.patience_seconds,
            )
            row.update(
                a_sl=a.service_level,
                a_asa=a.asa_seconds,
                a_occupancy=a.occupancy,
                a_abandon=a.abandon_probability,
            )
        rows.append(row)
    return rows


@dataclass(frozen=True)
class History:
    weeks: float
    loads: dict[tuple[int, int], Load]  # (weekday, slot) → load
    aht_seconds: float | None
    patience_seconds: float | None


def from_history(scope: reads.Scope) -> History:
    """Arrivals, handle time, patience and agents present per weekday × half hour, averaged
    over the weeks of the scope (its length in days ÷ 7)."""
    weeks = max(1.0, (scope.end_at - scope.start_at).total_seconds() / (7 * 86400))
    offered: dict[tuple[int, int], int] = defaultdict(int)
    handle: dict[tuple[int, int], float] = defaultdict(float)
    answered: dict[tuple[int, int], int] = defaultdict(int)
    present: dict[tuple[int, int], set[tuple[dt.date, int]]] = defaultdict(set)
    waited = 0.0
    abandons = 0
    for keys, record in reads.records(scope):
        if record.outcome == "other":
            continue
        slot_key = (keys.weekday, keys.slot)
        offered[slot_key] += 1
        waited += record.wait_seconds
        if record.outcome == "abandoned":
            abandons += 1
        else:
            answered[slot_key] += 1
            handle[slot_key] += record.talk_seconds + record.hold_seconds + record.wrap_seconds
            if keys.agent_id is not None:
                present[slot_key].add((keys.day, keys.agent_id))
    total_answered = sum(answered.values())
    aht = sum(handle.values()) / total_answered if total_answered else None
    patience = waited / abandons if abandons else None
    loads: dict[tuple[int, int], Load] = {}
    for key, n in offered.items():
        slot_aht = handle[key] / answered[key] if answered[key] else aht
        loads[key] = Load(
            calls=n / weeks,
            aht_seconds=slot_aht or 1.0,
            patience_seconds=patience,
            present=len(present[key]) / weeks,
        )
    return History(weeks=weeks, loads=loads, aht_seconds=aht, patience_seconds=patience)


def week_grid(loads: dict[tuple[int, int], Load], goal: Goal) -> list[dict[str, object]]:
    """One row per (weekday, half hour) with calls: needed agents by both models."""
    rows = []
    for (weekday, slot), load in sorted(loads.items()):
        row = row_for(load, goal)
        row.update(weekday=weekday, slot=slot, time=f"{slot // 2:02d}:{(slot % 2) * 30:02d}")
        rows.append(row)
    return rows
