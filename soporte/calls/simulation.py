"""Simulated phone traffic: the same call stories for `soporte simulate-calls` (over HTTP, in
real time) and for the demo's day of calls (applied directly, with timestamps).

A story is planned whole when the call arrives: who rings, whether the caller gives up, who
answers, the holds, a transfer, who hangs up. Planning is pure (a seeded `random.Random`, no
clock, no database), so the same seed gives the same day.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

HOLD_REASONS = (
    "Consulto el historial del equipo",
    "Reviso la configuración del servidor",
    "Pregunto a un compañero de nivel 2",
    "Busco el artículo de la base de conocimiento",
    "Verifico el estado del respaldo",
    "Reviso la cola de impresión",
)
NEEDS = (
    "La impresora del almacén no imprime",
    "No puede entrar al correo",
    "El equipo de caja está muy lento",
    "Sin red en el área de compras",
    "Olvidó su contraseña de Windows",
    "El escáner no envía al correo",
    "No abre el sistema de facturación",
    "Pantalla azul al encender",
    "No se ve la carpeta compartida",
    "Pide instalar un programa",
)
CALLER_NAMES = (
    "Ana Martínez",
    "Luis Hernández",
    "Karla Jiménez",
    "Óscar Romero",
    "Paola Vázquez",
    "Raúl Ortiz",
    "Mariana Flores",
    "Eduardo Chávez",
)


@dataclass(frozen=True)
class SimAgent:
    """An agent as the phone system knows it: the name it rings and its extension."""

    name: str
    extension: str


@dataclass
class Step:
    """One event of a story, `offset` seconds after the call arrived."""

    offset: float
    payload: dict[str, Any]


@dataclass
class Story:
    call_id: str
    arrival: float  # seconds since the start of the simulation
    steps: list[Step]
    outcome: str  # answered / abandoned / missed (for summaries and tests)
    agent: SimAgent | None = None
    busy: dict[str, tuple[float, float]] = field(default_factory=dict)  # name → [from, to)
    caller_name: str = ""
    need: str = ""
    known_caller: bool = False
    callback: bool = False  # the caller chose to be called back (H2)


def arrivals(rng: random.Random, *, rate_per_minute: float, seconds: float) -> list[float]:
    """Poisson arrivals: exponential gaps with mean 60 / rate."""
    times: list[float] = []
    if rate_per_minute <= 0:
        return times
    moment = rng.expovariate(rate_per_minute / 60.0)
    while moment < seconds:
        times.append(moment)
        moment += rng.expovariate(rate_per_minute / 60.0)
    return times


def _random_number(rng: random.Random) -> str:
    return f"+52 55 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


class Planner:
    """Plans stories; remembers which agents are busy until when (in simulation seconds)."""

    def __init__(
        self,
        rng: random.Random,
        *,
        agents: list[SimAgent],
        known_numbers: list[str],
        desk_number: str = "+52 55 5000 1000",
        prefix: str = "sim",
    ) -> None:
        self.rng = rng
        self.agents = agents
        self.known_numbers = known_numbers
        self.desk_number = desk_number
        self.prefix = prefix
        self.busy_until: dict[str, float] = {}
        self.count = 0

    def _free(self, moment: float) -> list[SimAgent]:
        return [a for a in self.agents if self.busy_until.get(a.name, 0.0) <= moment]

    def plan(self, arrival: float) -> Story:
        rng = self.rng
        self.count += 1
        call_id = f"{self.prefix}-{self.count}-{rng.getrandbits(32):08x}"
        known = bool(self.known_numbers) and rng.random() < 0.4
        outbound = rng.random() < 0.08
        free = self._free(arrival)
        steps: list[Step] = []
        event_no = 0

        def add(offset: float, kind: str, **fields: Any) -> None:
            nonlocal event_no
            event_no += 1
            payload = {
                "event": kind,
                "callId": call_id,
                "from": caller,
                "to": callee,
                "direction": direction,
                "eventId": f"{event_no}",
                **{k: v for k, v in fields.items() if v not in (None, "")},
            }
            steps.append(Step(round(offset, 3), payload))

        if outbound and free:
            # An agent calls a customer back.
            agent = rng.choice(free)
            direction, caller = "out", agent.extension
            callee = (
                rng.choice(self.known_numbers)
                if self.known_numbers and rng.random() < 0.8
                else _random_number(rng)
            )
            add(0, "newCall", user=agent.name)
            ring = rng.uniform(3, 25)
            if rng.random() < 0.2:  # nobody picks up
                add(ring, "hangup", cause="noAnswer", initiator="agent")
                self.busy_until[agent.name] = arrival + ring
                return Story(call_id, arrival, steps, "missed", agent, known_caller=known)
            add(ring, "answer", user=agent.name, answeringNumber=callee)
            talk = rng.uniform(40, 300)
            add(
                ring + talk,
                "hangup",
                cause="normalClearing",
                initiator=rng.choice(("caller", "agent")),
            )
            self.busy_until[agent.name] = arrival + ring + talk
            return Story(
                call_id, arrival, steps, "answered", agent, caller_name="", known_caller=known
            )

        direction = "in"
        caller = (
            rng.choice(self.known_numbers)
            if known
            else ("anonymous" if rng.random() < 0.04 else _random_number(rng))
        )
        callee = self.desk_number
        ringing = rng.sample(free, k=min(len(free), rng.choice((1, 1, 2, 3)))) if free else []
        add(0, "newCall", user=[a.name for a in ringing], queue="soporte")
        # Ring time: most desks answer in 1–2 rings (5 s per ring in Mexico); some don't.
        ring = rng.lognormvariate(math.log(6.0), 0.55)
        patience = rng.uniform(8, 70)
        if not ringing or patience < ring or rng.random() < 0.06:
            if ringing and rng.random() < 0.25:
                end = rng.uniform(20, 40)
                add(end, "hangup", cause="noAnswer", initiator="agent")
                return Story(call_id, arrival, steps, "missed", known_caller=known)
            end = min(patience, 90.0)
            add(end, "hangup", cause="cancel", initiator="caller")
            return Story(call_id, arrival, steps, "abandoned", known_caller=known)

        agent = rng.choice(ringing)
        add(ring, "answer", user=agent.name, answeringNumber=agent.extension)
        moment = ring + rng.uniform(20, 120)
        holder = agent
        busy: dict[str, tuple[float, float]] = {}
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            reason = rng.choice(HOLD_REASONS) if rng.random() < 0.85 else ""
            if rng.random() < 0.08:
                # H2: the caller prefers to be called back; the agent ends the call.
                add(moment, "hold", reason=reason or HOLD_REASONS[0], choice="callback")
                moment += rng.uniform(3, 8)
                add(moment, "hangup", cause="normalClearing", initiator="agent")
                self.busy_until[agent.name] = arrival + moment
                return Story(
                    call_id,
                    arrival,
                    steps,
                    "answered",
                    agent,
                    {agent.name: (arrival + ring, arrival + moment)},
                    caller_name=rng.choice(CALLER_NAMES),
                    need=rng.choice(NEEDS),
                    known_caller=known,
                    callback=True,
                )
            add(moment, "hold", reason=reason, choice="wait")
            # Most holds are short; about a third go over the 60 s limit (H3).
            held = rng.uniform(61, 150) if rng.random() < 0.3 else rng.uniform(8, 50)
            moment += held
            add(moment, "unhold")
            moment += rng.uniform(15, 90)
        others = [a for a in self._free(arrival + moment) if a != agent]
        if others and rng.random() < 0.15:
            target = rng.choice(others)
            if rng.random() < 0.6:
                consult = rng.uniform(12, 60)
                add(moment, "hold", reason="Consulto con un compañero", choice="wait")
                moment += consult
                add(moment, "unhold")
                add(
                    moment,
                    "transfer",
                    type="attended",
                    target=target.extension,
                    answered=True,
                    consultSeconds=round(consult, 1),
                )
            else:
                add(moment, "transfer", type="blind", target=target.extension)
            busy[agent.name] = (arrival + ring, arrival + moment)
            holder = target
            start_b = moment
            moment += rng.uniform(60, 300)
            busy[target.name] = (arrival + start_b, arrival + moment)
        else:
            moment += rng.uniform(30, 300)
            busy[agent.name] = (arrival + ring, arrival + moment)
        initiator = "caller" if rng.random() < 0.6 else "agent"
        add(moment, "hangup", cause="normalClearing", initiator=initiator)
        for name, (_start, end) in busy.items():
            self.busy_until[name] = max(self.busy_until.get(name, 0.0), end)
        return Story(
            call_id,
            arrival,
            steps,
            "answered",
            holder,
            busy,
            caller_name=rng.choice(CALLER_NAMES),
            need=rng.choice(NEEDS),
            known_caller=known,
        )


def with_timestamp(payload: dict[str, Any], moment: dt.datetime) -> dict[str, Any]:
    return {**payload, "timestamp": moment.isoformat(timespec="milliseconds")}
