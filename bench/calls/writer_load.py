"""The CTI writer process alone under closed-loop load: no HTTP, no granian, no wrk.

    VAR_DIR=<prepared bench dir> python bench/calls/writer_load.py [--seconds 10] [--senders 64]

Starts `soporte cti_writer` on the prepared VAR_DIR (see profile_batch.py for preparing one),
then two client connections (as the two web workers of `soporte run`) keep `--senders` events
in flight with `RemoteWriter`, in the cti_mix.lua pattern (newCall; the answer 300 calls later,
the hangup 600 later). Prints events/s, the latency the web workers would see from the writer
(p50/p90/p99), and the writer process's CPU per event. Lighter on a shared machine than
run.py (about one core for the writer and half a core for this client); `--spy` prints the
writer's pid and waits 2 s before measuring, for a profiler to attach.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soporte.settings")
import django  # noqa: E402

django.setup()

from soporte.calls import cti  # noqa: E402
from soporte.calls.writer import BatchWriter, RemoteWriter  # noqa: E402

TOKEN = "bench-cti-token-0001"
BASE = {"from": "+52 55 5341 2201", "to": "+52 55 5000 1000", "direction": "in"}
AGENT = "Blanca Herrera Solís"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Mix:
    """The cti_mix.lua pattern: one third each newCall, answer (300 back), hangup (600 back)."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.counter = 0

    def next_body(self) -> bytes:
        self.counter += 1
        phase, n = self.counter % 3, self.counter // 3
        if phase == 1 and n > 300:
            body = {"event": "answer", "callId": f"{self.run}-{n - 300}", **BASE}
            body |= {"user": AGENT, "answeringNumber": "101"}
        elif phase == 2 and n > 600:
            body = {"event": "hangup", "callId": f"{self.run}-{n - 600}", **BASE}
            body |= {"cause": "normalClearing", "initiator": "caller"}
        elif phase == 0:
            body = {"event": "newCall", "callId": f"{self.run}-{n}", **BASE}
            body |= {"user": [AGENT], "queue": "soporte"}
        else:
            body = {"event": "newCall", "callId": f"{self.run}-w{self.counter}", **BASE}
            body |= {"user": [AGENT], "queue": "soporte"}
        return json.dumps(body).encode()


async def load(path: str, senders: int, seconds: float, warmup: float) -> dict:
    writers = [RemoteWriter(path, BatchWriter()) for _ in range(2)]
    mix = Mix(f"wl{int(time.time())}")
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    measuring = False
    stop = time.monotonic() + warmup + seconds

    async def sender(i: int) -> None:
        remote = writers[i % 2]
        while time.monotonic() < stop:
            request = cti.make_request(
                token=TOKEN, headers={}, body=mix.next_body(), content_type="application/json"
            )
            started = time.perf_counter()
            status, _payload = await remote.submit(request)
            if measuring:
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

    async def clock() -> None:
        nonlocal measuring
        await asyncio.sleep(warmup)
        measuring = True

    tasks = [asyncio.create_task(sender(i)) for i in range(senders)]
    await clock()
    await asyncio.gather(*tasks)
    latencies.sort()

    def q(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {
        "events": len(latencies),
        "statuses": statuses,
        "p50": q(0.5),
        "p90": q(0.9),
        "p99": q(0.99),
        "max": latencies[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--senders", type=int, default=64)
    parser.add_argument("--spy", action="store_true")
    args = parser.parse_args()
    path = str(Path(os.environ["VAR_DIR"]) / "run" / f"writer-load-{os.getpid()}.sock")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parents[2]
    writer = subprocess.Popen(
        [sys.executable, str(root / "manage.py"), "cti_writer", "--socket", path],
        env=dict(os.environ, PYTHONPATH=str(root)),
    )
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            if writer.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the writer did not start")
            time.sleep(0.1)
        if args.spy:
            print(f"writer pid {writer.pid}", flush=True)
            time.sleep(2)
        cpu_before, started = cpu_seconds(writer.pid), time.monotonic()
        result = asyncio.run(load(path, args.senders, args.seconds, args.warmup))
        cpu = cpu_seconds(writer.pid) - cpu_before
        elapsed = time.monotonic() - started
    finally:
        writer.terminate()
        writer.wait(10)
    rate = result["events"] / args.seconds
    print(
        f"{rate:,.0f} events/s  p50 {result['p50']:.1f}  p90 {result['p90']:.1f}  "
        f"p99 {result['p99']:.1f}  max {result['max']:.1f} ms  statuses {result['statuses']}  "
        f"writer CPU {cpu / elapsed:.0%} of a core, "
        f"{cpu * 1e6 / max(1, result['events'] * (elapsed / args.seconds)):.0f} µs/event  "
        f"load {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
