"""Screen-pop latency: newCall POST → the agent's console websocket, with 200 consoles open.

    python bench/calls/screenpop.py                  # relay channel layer (no Redis)
    python bench/calls/screenpop.py --redis redis://127.0.0.1:6379/15

Fresh VAR_DIR, `soporte run` (granian, 2 workers, worker, relay or Redis), 50 bench agents with
ready-made sessions (bench/calls/setup.py) and 4 consoles each (`ws/llamadas/consola/`), so the
kernel spreads them over both web workers. Then newCall events, each ringing one random agent
(`user` = the agent's name), at a steady rate; latency is from just before the POST to the
message at each of that agent's consoles (same clock). Every console must get its own agent's
pops and only those. Requirement: p99 < 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from websockets.asyncio.client import connect  # noqa: E402

from bench.calls.common import free_port, prepare, server_env, start_server, stop_server  # noqa: E402

TOKEN = "screenpop-cti-token-01"
BASE = {"from": "+52 55 5341 2201", "to": "+52 55 5000 1000", "direction": "in", "queue": "soporte"}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def main_async(args) -> dict:
    var_dir = Path(tempfile.mkdtemp(prefix="calls-pop-"))
    env = server_env(var_dir, redis_url=args.redis)
    setup = prepare(var_dir, TOKEN, demo=False, agents=args.agents, env=env)
    port = free_port()
    server = start_server(var_dir, port, env=env)
    sent_at: dict[str, float] = {}
    target: dict[str, int] = {}
    latencies: list[float] = []
    wrong = 0
    received: dict[str, int] = {}
    sockets = []
    try:
        base = f"ws://127.0.0.1:{port}/ws/llamadas/consola/"
        for agent in setup["agents"]:
            for _ in range(args.consoles_per_agent):
                ws = await connect(
                    base,
                    additional_headers={"Cookie": f"sessionid={agent['session']}"},
                    origin=f"http://127.0.0.1:{port}",
                    open_timeout=30,
                    max_queue=None,
                )
                sockets.append((agent["id"], ws))
        print(
            f"{len(sockets)} consoles connected ({args.agents} agents × {args.consoles_per_agent})",
            flush=True,
        )

        async def listen(agent_id: int, ws) -> None:
            nonlocal wrong
            async for raw in ws:
                now = time.perf_counter()
                message = json.loads(raw)
                if message.get("type") != "call.event" or message.get("event") != "newCall":
                    continue
                cid = message["call_id"]
                if target.get(cid) != agent_id:
                    wrong += 1
                    continue
                received[cid] = received.get(cid, 0) + 1
                latencies.append((now - sent_at[cid]) * 1000)

        listeners = [asyncio.create_task(listen(a, ws)) for a, ws in sockets]
        local = __import__("threading").local()

        def post(body: bytes) -> int:
            conn = getattr(local, "conn", None)
            if conn is None:
                conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "POST",
                f"/api/v1/cti/{TOKEN}",
                body=body,
                headers={"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            return response.status

        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(max_workers=8)
        statuses: dict[int, int] = {}
        pending = []
        rng = random.Random(1)
        run = uuid.uuid4().hex[:6]
        load_before = os.getloadavg()
        t0 = time.perf_counter()
        for i in range(int(args.rate * args.seconds)):
            due = t0 + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            agent = rng.choice(setup["agents"])
            cid = f"pop-{run}-{i}"
            body = json.dumps(
                {"event": "newCall", "callId": cid, "user": agent["name"], **BASE}
            ).encode()
            target[cid] = agent["id"]
            sent_at[cid] = time.perf_counter()
            pending.append(loop.run_in_executor(executor, post, body))
        for status in await asyncio.gather(*pending):
            statuses[status] = statuses.get(status, 0) + 1
        await asyncio.sleep(3)
        for task in listeners:
            task.cancel()
        pops = len(sent_at)
        expected = pops * args.consoles_per_agent
        return {
            "channel_layer": "redis" if args.redis else "relay",
            "consoles": len(sockets),
            "pops": pops,
            "rate": args.rate,
            "statuses": statuses,
            "deliveries": len(latencies),
            "expected": expected,
            "wrong_agent": wrong,
            "p50_ms": statistics.median(latencies) if latencies else float("nan"),
            "p90_ms": pct(latencies, 0.90),
            "p99_ms": pct(latencies, 0.99),
            "max_ms": max(latencies) if latencies else float("nan"),
            "load_before": load_before,
            "load_after": os.getloadavg(),
        }
    finally:
        for _a, ws in sockets:
            await ws.close()
        stop_server(server)
        shutil.rmtree(var_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--consoles-per-agent", type=int, default=4)
    parser.add_argument("--rate", type=float, default=10, help="newCall events per second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument(
        "--redis", default="", help="REDIS_URL for the channel layer (default: the relay)"
    )
    args = parser.parse_args()
    res = asyncio.run(main_async(args))
    print(json.dumps(res))
    ok = res["p99_ms"] < 200 and res["deliveries"] == res["expected"] and res["wrong_agent"] == 0
    print(
        f"{res['channel_layer']}: {res['consoles']} consoles, {res['pops']} pops at {res['rate']}/s, "
        f"{res['deliveries']}/{res['expected']} deliveries, wrong agent {res['wrong_agent']}, "
        f"p50 {res['p50_ms']:.1f} ms, p90 {res['p90_ms']:.1f} ms, p99 {res['p99_ms']:.1f} ms, "
        f"max {res['max_ms']:.1f} ms, load {res['load_before'][0]:.2f}→{res['load_after'][0]:.2f}  "
        f"{'PASS' if ok else 'FAIL'} (p99 < 200 ms, all delivered)"
    )


if __name__ == "__main__":
    main()
