"""One web node against two, in the same run, on PostgreSQL + Redis; and the job queue's rate.

    .venv/bin/python bench/multinode/run.py                  # 10 s per measure, 2 rounds
    .venv/bin/python bench/multinode/run.py --duration 20 --rounds 3

Starts the cluster of tests/multinode (two `soporte run --no-worker` nodes with one granian
worker each, two `soporte worker` processes; one PostgreSQL database `<TEST_POSTGRES_URL
db>_bench_multinode`, one Redis), seeds 300 tickets for the agent, then, for each round and
each target, wrk with 64 connections against node A alone, then 32 against A and 32 against B
at the same time:

  cti    POST /api/v1/cti/<token>         bench/calls/cti_mix.lua (newCall / answer / hangup)
  queue  GET /tickets/?cola=mis-tickets    the agent's queue page (session cookie from node A)

Printed per measure: requests/s, p99, and CPU per request of the web nodes (every process of
their sessions, from /proc) and of PostgreSQL (every `postgres` process: other databases' work
on a shared machine counts too). The scaling factor is two nodes' requests/s over one node's.
Then, once the workers have written the records of the calls the CTI runs ended, 5,000 no-op
jobs are enqueued in one transaction and the two workers' drain rate printed.
Results: bench/RESULTS.md, "Several nodes".
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.calls.run import parse_ms  # noqa: E402
from tests.integration.test_real_server import Browser  # noqa: E402
from tests.multinode import cluster as mn  # noqa: E402
from tests.multinode.cluster import AGENT, PASSWORD  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(match) -> float:  # noqa: ANN001
    """CPU (user + system) of every process for which match(stat fields, comm) is true."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            raw = (proc / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        if match(fields, comm):
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def in_sessions(sids: set[int]):  # noqa: ANN201
    return lambda fields, comm: int(fields[3]) in sids


def is_postgres(fields, comm) -> bool:  # noqa: ANN001
    return comm.startswith("postgres")


def wrk(base: str, target: str, seconds: int, connections: int, env: dict, out: list) -> None:
    script = {
        "cti": ROOT / "bench/calls/cti_mix.lua",
        "queue": ROOT / "bench/tickets/random_path.lua",
    }[target]
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
    ]
    if target == "queue":
        cmd += ["-H", f"Cookie: {env['COOKIE']}"]
    result = subprocess.run(
        [*cmd, base], env={**os.environ, **env}, capture_output=True, text=True, check=True
    ).stdout
    first_error = re.search(r"first error: (.*)", result)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", result)
    bad = re.search(r"non200 (\d+)", result)
    out.append(
        {
            "requests": int(re.search(r"(\d+) requests in", result).group(1)),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", result).group(1)),
            "p99_ms": parse_ms(dict(re.findall(r"^\s+(50|99)%\s+(\S+)", result, re.M))["99"]),
            "errors": (int(non2xx.group(1)) if non2xx else 0) + (int(bad.group(1)) if bad else 0),
            "first_error": first_error.group(1)[:200] if first_error else "",
        }
    )


def measure(c: mn.Cluster, target: str, nodes: list[mn.Node], seconds: int, env: dict) -> dict:
    sids = {n.proc.pid for n in c.nodes}
    per_node = 64 // len(nodes)
    node_cpu, pg_cpu = cpu_seconds(in_sessions(sids)), cpu_seconds(is_postgres)
    results: list[dict] = []
    threads = [
        threading.Thread(
            target=wrk,
            args=(
                n.base,
                target,
                seconds,
                per_node,
                {**env, "RUN_ID": f"{env['RUN_ID']}{n.name}"},
                results,
            ),
        )
        for n in nodes
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    node_cpu = cpu_seconds(in_sessions(sids)) - node_cpu
    pg_cpu = cpu_seconds(is_postgres) - pg_cpu
    requests = sum(r["requests"] for r in results)
    return {
        "target": target,
        "nodes": len(nodes),
        "rps": round(sum(r["rps"] for r in results)),
        "p99_ms": max(r["p99_ms"] for r in results),
        "errors": sum(r["errors"] for r in results),
        "first_error": next((r["first_error"] for r in results if r["first_error"]), ""),
        "node_cpu_ms_per_req": round(1000 * node_cpu / requests, 2),
        "pg_cpu_ms_per_req": round(1000 * pg_cpu / requests, 2),
    }


def backlog(c: mn.Cluster) -> int:
    import psycopg

    with psycopg.connect(c.database_url) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status IN ('READY', 'RUNNING')"
        ).fetchone()
    return int(count)


def wait_idle(c: mn.Cluster) -> tuple[int, float]:
    """Let the workers finish what the HTTP runs queued (every ended call's record): how many
    jobs and how long they took (records wait RECORD_DELAY before they are due)."""
    began, waiting = time.monotonic(), backlog(c)
    while backlog(c) and time.monotonic() - began < 900:
        time.sleep(1)
    return waiting, time.monotonic() - began


def job_drain(c: mn.Cluster, jobs: int) -> float:
    out = Path(c.extra_env["BENCH_OUT"])
    out.unlink(missing_ok=True)
    code = f"import bench.tasks.candidates as k; k.send_many(k.noop, 0, {jobs}, 0)"
    subprocess.run([sys.executable, "-c", code], env=c.env("setup"), cwd=ROOT, check=True)
    committed = time.monotonic()
    deadline = committed + 300
    while time.monotonic() < deadline:
        if out.exists() and len(out.read_text().splitlines()) >= jobs:
            return jobs / (time.monotonic() - committed)
        time.sleep(0.05)
    raise RuntimeError("the jobs did not all run within 300 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--jobs-only", action="store_true", help="skip the HTTP measures")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-multinode-"))
    c = mn.Cluster(
        root=root,
        database_url=mn.fresh_database("bench_multinode"),
        extra_env={
            "SOPORTE_EXTRA_TASK_MODULES": "bench.tasks.candidates",
            "BENCH_LIB": "soporte",
            "BENCH_OUT": str(root / "jobs.out"),
        },
    )
    c.prepare()
    c.manage("bench.multinode.seed", str(args.tickets))
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()}", flush=True)
    try:
        a, b = c.start_node("a"), c.start_node("b")
        c.start_worker("w1")
        c.start_worker("w2")
        c.wait_ready()
        agent = Browser(a.base)
        agent.login(AGENT[0], PASSWORD)
        env = {
            "CTI_TOKEN": mn.TOKEN,
            "AGENT": f"{AGENT[1]} {AGENT[2]}",
            "COOKIE": f"sessionid={agent.cookie('sessionid')}",
            "PATH_TEMPLATE": "/tickets/?cola=mis-tickets",
            "MAX_ID": "1",
        }
        for target in ("cti", "queue"):  # warm both nodes
            measure(c, target, [a, b], 2, {**env, "RUN_ID": f"w{target}"})
        rows = []
        for rnd in range(0 if args.jobs_only else args.rounds):
            for target in ("cti", "queue"):
                for nodes in ([a], [a, b]):
                    row = measure(
                        c,
                        target,
                        nodes,
                        args.duration,
                        {**env, "RUN_ID": f"r{rnd}{target}{len(nodes)}"},
                    )
                    row["round"] = rnd + 1
                    print(json.dumps(row), flush=True)
                    rows.append(row)
        for target in ("cti", "queue") if rows else ():
            one = [r["rps"] for r in rows if r["target"] == target and r["nodes"] == 1]
            two = [r["rps"] for r in rows if r["target"] == target and r["nodes"] == 2]
            print(f"{target}: scaling factor {sum(two) / sum(one):.2f} (two nodes / one)")
        waiting, took = wait_idle(c)
        print(f"backlog after the HTTP runs: {waiting} jobs (call records), done in {took:.0f} s")
        print(f"job queue: {job_drain(c, args.jobs):.0f} jobs/s drained by two workers")
        print(f"load after {os.getloadavg()}")
    finally:
        c.stop()


if __name__ == "__main__":
    main()
