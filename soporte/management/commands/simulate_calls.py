"""`soporte simulate-calls`: realistic phone traffic through the real CTI endpoint.

Calls arrive at random (Poisson, `--rate` per minute) for `--minutes`; each one is a whole
story planned on arrival (soporte.calls.simulation): ringing agents, abandons, answers, holds
(some over the limit), warm and blind transfers, and hangups from either side. Events go out
as Zammad generic CTI JSON with the extended fields, each with its `eventId` and `timestamp`.
`--speed 10` plays ten simulated minutes per real minute (timestamps stay in simulated time).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import os
import random
import statistics
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from soporte import demo
from soporte.calls.simulation import Planner, SimAgent, Story, arrivals, with_timestamp
from soporte.lib import clock


@dataclass
class Tally:
    sent: int = 0
    ok: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    calls_done: int = 0

    @property
    def completed(self) -> int:
        return self.errors + sum(self.statuses.values())

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Poster:
    """Keep-alive HTTP/1.1 connections, one per thread (stdlib only)."""

    def __init__(self, url: str, token: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.https else 80)
        self.path = parts.path.rstrip("/") + "/api/v1/cti/" + urllib.parse.quote(token, safe="")
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = cls(self.host, self.port, timeout=30)
            self._local.conn = conn
        return conn

    def post(self, payload: dict[str, Any]) -> tuple[int, float, bytes]:
        """Status (0 when the connection failed twice), latency in ms, body."""
        body = json.dumps(payload, ensure_ascii=False).encode()
        for attempt in range(2):
            conn = self._connection()
            started = time.perf_counter()
            try:
                conn.request(
                    "POST", self.path, body=body, headers={"Content-Type": "application/json"}
                )
                response = conn.getresponse()
                data = response.read()
                return response.status, (time.perf_counter() - started) * 1000, data
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt:
                    return 0, (time.perf_counter() - started) * 1000, b""
        return 0, 0.0, b""


class Command(BaseCommand):
    help = "Simulates phone traffic through the CTI endpoint (demos and load tests)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="Soporte's address")
        parser.add_argument(
            "--token",
            default=os.environ.get("SOPORTE_CTI_TOKEN", ""),
            help="The line's CTI token; without it, the demo line of the local database "
            "(«Conmutador (demo)») is used, and created if missing.",
        )
        parser.add_argument("--rate", type=float, default=2.0, help="calls per minute")
        parser.add_argument("--minutes", type=float, default=5.0, help="simulated minutes")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--speed", type=float, default=1.0, help="simulated seconds per real second"
        )
        parser.add_argument("--concurrency", type=int, default=32, help="HTTP connections")
        parser.add_argument(
            "--agents",
            default="",
            help="Comma-separated agent names to ring (default: agents of the local "
            "database who are not offline).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["speed"] <= 0 or options["rate"] < 0 or options["minutes"] <= 0:
            raise CommandError("--speed and --minutes must be positive, --rate not negative.")
        token = options["token"] or self._demo_token()
        agents = self._agents(options["agents"])
        numbers = self._known_numbers()
        seed = (
            options["seed"]
            if options["seed"] is not None
            else random.SystemRandom().randrange(1 << 30)
        )
        rng = random.Random(seed)
        planner = Planner(rng, agents=agents, known_numbers=numbers, prefix=f"sim{seed}")
        stories = [
            planner.plan(moment)
            for moment in arrivals(
                rng, rate_per_minute=options["rate"], seconds=options["minutes"] * 60
            )
        ]
        self.stdout.write(
            f"simulate-calls: {len(stories)} llamadas en {options['minutes']:g} min simulados "
            f"(semilla {seed}, velocidad ×{options['speed']:g}, {len(agents)} agentes) → "
            f"{options['url']}"
        )
        poster = Poster(options["url"], token)
        tally = Tally()
        started = time.monotonic()
        asyncio.run(self._run(stories, poster, tally, options["speed"], options["concurrency"]))
        elapsed = time.monotonic() - started
        self._summary(stories, tally, elapsed)
        if tally.errors or tally.sent != tally.ok:
            raise CommandError(f"{tally.sent - tally.ok} eventos sin respuesta 2xx")

    def _demo_token(self) -> str:
        _line, token = demo.demo_cti_line(now=clock.now())
        self.stdout.write(f"Línea «{demo.DEMO_CTI_LINE_NAME}», token {token}")
        return token

    def _agents(self, names: str) -> list[SimAgent]:
        if names.strip():
            return [SimAgent(n.strip(), n.strip()) for n in names.split(",") if n.strip()]
        from soporte.directory.models import Agent, Presence

        rows = (
            Agent.objects.select_related("user")
            .filter(user__is_active=True)
            .exclude(presence=Presence.OFFLINE)
            .order_by("id")
        )
        return [
            SimAgent(a.user.get_full_name() or a.user.username, a.extension or a.user.username)
            for a in rows
        ]

    def _known_numbers(self) -> list[str]:
        from soporte.directory.models import Person

        return list(
            Person.objects.exclude(phone="").order_by("id").values_list("phone", flat=True)[:500]
        )

    async def _run(
        self, stories: list[Story], poster: Poster, tally: Tally, speed: float, concurrency: int
    ) -> None:
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(max_workers=max(1, concurrency))
        t0 = time.monotonic()
        wall0 = dt.datetime.now(dt.UTC)

        async def play(story: Story) -> None:
            for step in story.steps:
                virtual = story.arrival + step.offset
                delay = t0 + virtual / speed - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                payload = with_timestamp(step.payload, wall0 + dt.timedelta(seconds=virtual))
                tally.sent += 1
                status, ms, _body = await loop.run_in_executor(executor, poster.post, payload)
                if status == 0:
                    tally.errors += 1
                    continue
                tally.statuses[status] += 1
                tally.latencies_ms.append(ms)
                if 200 <= status < 300:
                    tally.ok += 1
            tally.calls_done += 1

        async def progress() -> None:
            while True:
                await asyncio.sleep(5)
                self.stdout.write(
                    f"  [{time.monotonic() - t0:6.0f} s] llamadas {tally.calls_done}/{len(stories)}"
                    f"  eventos {tally.completed}  2xx {tally.ok}  otros {tally.completed - tally.ok}"
                    f"  p50 {tally.percentile(0.5):.1f} ms"
                )

        reporter = asyncio.create_task(progress())
        try:
            await asyncio.gather(*(play(story) for story in stories))
        finally:
            reporter.cancel()
            executor.shutdown(wait=False)

    def _summary(self, stories: list[Story], tally: Tally, elapsed: float) -> None:
        outcomes = Counter(s.outcome for s in stories)
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(tally.statuses.items()))
        self.stdout.write(
            f"Resumen: {len(stories)} llamadas ({', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}); "
            f"{tally.sent} eventos en {elapsed:.1f} s, 2xx {tally.ok}, "
            f"errores de conexión {tally.errors}, estados [{statuses}]; "
            f"latencia p50 {tally.percentile(0.5):.1f} ms, p99 {tally.percentile(0.99):.1f} ms"
        )
        if tally.latencies_ms:
            self.stdout.write(f"  media {statistics.fmean(tally.latencies_ms):.1f} ms")
