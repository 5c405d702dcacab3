"""Which task queue: throughput, latency and durability after SIGKILL, for each candidate.

    python3 -m venv /tmp/benchq && /tmp/benchq/bin/pip install -r bench/tasks/requirements.txt
    .venv/bin/python bench/tasks/compare.py --other-python /tmp/benchq/bin/python
    .venv/bin/python bench/tasks/compare.py --only soporte-postgres --jobs 5000

For each candidate (Celery, Dramatiq, RQ, Huey on Redis and on SQLite, django-tasks-db with its
own `db_worker` on SQLite and PostgreSQL, and Soporte's worker on the same django-tasks-db table):

1. throughput: two worker processes, warmed up; a producer enqueues N no-op jobs as fast as it
   can (the database candidates in one transaction: a burst handed off by one change); jobs/s
   from the first enqueue to the last job's effect, the producer's own rate, and the rate at
   which the workers ran the jobs still waiting when the producer was done (the queue's own);
2. latency: 200 jobs, one every 20 ms, onto idle workers; enqueue-to-effect p50 / p99;
3. durability: one worker, 10 jobs of 0.5 s; SIGKILL it (its whole process group) half-way
   through the third; start another worker; how many of the 10 never ran within 45 s, and how long the
   last one took. Where a library has a redelivery knob it is set to 10 s (Celery's visibility
   timeout, Dramatiq's heartbeat timeout; Soporte's lease is 10 s here too).

Every job's effect is one O_APPEND line in a file, so the measure is the queue's, not a database
write's. Redis is 127.0.0.1:6379 database 15 (flushed); PostgreSQL 127.0.0.1:5432, databases
bench_tasks_* (dropped and created). Results: bench/RESULTS.md, "Task queue".
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOPORTE_PY = str(ROOT / ".venv" / "bin" / "python")
REDIS = "redis://127.0.0.1:6379/15"
PG = "postgres://postgres@127.0.0.1:5432"

CANDIDATES = [
    "soporte-sqlite",
    "soporte-postgres",
    "django-tasks-db-sqlite",
    "django-tasks-db-postgres",
    "huey-sqlite",
    "huey-redis",
    "dramatiq",
    "rq",
    "celery",
]


class Candidate:
    def __init__(self, name: str, other_py: str, work: Path) -> None:
        self.name = name
        self.work = work
        self.lib = {
            "soporte-sqlite": "soporte",
            "soporte-postgres": "soporte",
            "django-tasks-db-sqlite": "django-tasks-db",
            "django-tasks-db-postgres": "django-tasks-db",
        }.get(name, name)
        self.py = SOPORTE_PY if self.lib == "soporte" else other_py
        self.bin = Path(self.py).parent
        self.out = work / "out.txt"
        self.env = {
            **os.environ,
            "BENCH_LIB": self.lib,
            "BENCH_OUT": str(self.out),
            "BENCH_REDIS": REDIS,
            "BENCH_REDELIVER_S": "10",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("DATABASE_URL", None)
        self.env.pop("REDIS_URL", None)
        if self.lib == "soporte":
            self.env.update(
                VAR_DIR=str(work / "var"),
                SOPORTE_EXTRA_TASK_MODULES="bench.tasks.candidates",
                SOPORTE_JOB_LEASE_S="10",
                SOPORTE_WORKER_NICE="0",
            )
            if name.endswith("postgres"):
                self.env["DATABASE_URL"] = self._fresh_pg("bench_tasks_soporte")
        elif self.lib == "django-tasks-db":
            self.env["BENCH_DATABASE_URL"] = (
                self._fresh_pg("bench_tasks_dtdb")
                if name.endswith("postgres")
                else f"sqlite:///{work / 'dtdb.sqlite3'}"
            )
        elif name == "huey-sqlite":
            self.env["BENCH_SQLITE"] = str(work / "huey.sqlite3")

    def _fresh_pg(self, db: str) -> str:
        for sql in (f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}"):
            subprocess.run(
                [
                    SOPORTE_PY,
                    "-c",
                    f"import psycopg; c=psycopg.connect('{PG}/postgres', autocommit=True); c.execute('{sql}')",
                ],
                check=True,
            )
        return f"{PG}/{db}"

    def prepare(self) -> None:
        if self.lib == "soporte":
            self.run([self.py, "-m", "soporte.cli", "migrate", "-v0"])
        elif self.lib == "django-tasks-db":
            self.run(
                [self.py, "-m", "django", "migrate", "-v0", "--settings=bench.tasks.dtdb_settings"]
            )
        if self.lib in ("huey-redis", "dramatiq", "rq", "celery"):
            self.run([self.py, "-c", f"import redis; redis.Redis.from_url('{REDIS}').flushdb()"])

    def run(self, cmd: list[str]) -> None:
        subprocess.run(cmd, env=self.env, cwd=ROOT, check=True)

    def worker_cmd(self, n: int) -> list[str]:
        py = self.py
        return {
            "soporte": [
                py,
                "-m",
                "soporte.cli",
                "worker",
                "--id",
                f"bench-{n}-{time.monotonic_ns()}",
            ],
            "django-tasks-db": [
                py,
                "-m",
                "django",
                "db_worker",
                "--settings=bench.tasks.dtdb_settings",
                "--no-reload",
                "-v0",
            ],
            "huey-sqlite": [
                py,
                "-m",
                "huey.bin.huey_consumer",
                "bench.tasks.candidates.huey",
                "-w",
                "1",
                "-q",
            ],
            "huey-redis": [
                py,
                "-m",
                "huey.bin.huey_consumer",
                "bench.tasks.candidates.huey",
                "-w",
                "1",
                "-q",
            ],
            "dramatiq": [
                py,
                "-m",
                "dramatiq",
                "bench.tasks.candidates",
                "--processes",
                "1",
                "--threads",
                "1",
            ],
            "rq": [str(self.bin / "rq"), "worker", "--url", REDIS, "-q", "bench"],
            "celery": [
                str(self.bin / "celery"),
                "-A",
                "bench.tasks.candidates",
                "worker",
                "-c",
                "1",
                "--pool",
                "solo",
                "-l",
                "error",
            ],
        }[self.lib]

    def start_worker(self, n: int) -> subprocess.Popen[bytes]:
        log = open(self.work / f"worker-{n}.log", "ab")  # noqa: SIM115
        return subprocess.Popen(
            self.worker_cmd(n),
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def produce(self, job: str, count: int, spacing: float = 0.0, start: int = 0) -> float:
        code = (
            "import bench.tasks.candidates as c\n"
            f"c.send_many(c.{job}, {start}, {count}, {spacing})\n"
        )
        began = time.monotonic()
        self.run([self.py, "-c", code])
        return time.monotonic() - began

    def lines(self) -> list[tuple[int, float]]:
        if not self.out.exists():
            return []
        rows = []
        for line in self.out.read_text().splitlines():
            i, elapsed = line.split()
            rows.append((int(i), float(elapsed)))
        return rows

    def wait_lines(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len({i for i, _ in self.lines()}) >= count:
                return True
            time.sleep(0.02)
        return False


def kill(procs: list[subprocess.Popen[bytes]], sig: int = signal.SIGTERM) -> None:
    for p in procs:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def measure(name: str, other_py: str, jobs: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    c = Candidate(name, other_py, work)
    c.prepare()
    result: dict[str, object] = {"candidate": name}

    # 1. Throughput with two workers.
    workers = [c.start_worker(1), c.start_worker(2)]
    try:
        c.produce("noop", 1, start=10**9)
        if not c.wait_lines(1, 60):
            raise RuntimeError(f"{name}: the warm-up job never ran ({work})")
        c.out.unlink()
        began = time.monotonic()
        enqueue_s = c.produce("noop", jobs)
        left = jobs - len(c.lines())
        produced = time.monotonic()
        done = c.wait_lines(jobs, 300)
        total = time.monotonic() - began
        result["enqueue_per_s"] = round(jobs / enqueue_s)
        result["jobs_per_s"] = round(jobs / total) if done else f"unfinished ({len(c.lines())})"
        # The jobs still waiting when the producer was done, over the time the workers took.
        drain_s = time.monotonic() - produced
        result["drain_per_s"] = round(left / drain_s) if done and left > 100 else "-"
        # 2. Latency onto idle workers.
        time.sleep(1)
        c.out.unlink()
        c.produce("noop", 200, spacing=0.02)
        c.wait_lines(200, 60)
        latencies = sorted(e * 1000 for _, e in c.lines())
        result["latency_p50_ms"] = round(statistics.median(latencies), 1)
        result["latency_p99_ms"] = round(latencies[int(len(latencies) * 0.99) - 1], 1)
    finally:
        kill(workers)

    # 3. Durability: SIGKILL mid-job.
    c.out.unlink(missing_ok=True)
    c.prepare() if c.lib in ("huey-redis", "dramatiq", "rq", "celery") else None
    first = c.start_worker(3)
    c.produce("slow", 10)
    c.wait_lines(2, 60)
    time.sleep(0.25)  # half-way through the third job
    kill([first], signal.SIGKILL)
    killed_at = time.monotonic()
    second = c.start_worker(4)
    try:
        c.wait_lines(10, 45)
        ran = {i for i, _ in c.lines()}
        result["lost_after_sigkill"] = 10 - len(ran & set(range(10)))
        result["recovered_in_s"] = (
            round(time.monotonic() - killed_at, 1) if len(ran) >= 10 else None
        )
        result["ran_twice"] = len(c.lines()) - len(ran)
    finally:
        kill([second])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--other-python", default="/tmp/benchq/bin/python")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--only", default="", help="comma-separated candidates")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else CANDIDATES
    results = []
    for name in names:
        try:
            row = measure(name, args.other_python, args.jobs)
        except Exception as exc:  # one broken candidate does not hide the others
            row = {"candidate": name, "error": str(exc)[:200]}
        print(json.dumps(row), flush=True)
        results.append(row)
    keys = [
        "candidate",
        "jobs_per_s",
        "enqueue_per_s",
        "latency_p50_ms",
        "latency_p99_ms",
        "lost_after_sigkill",
        "recovered_in_s",
        "ran_twice",
    ]
    print("\n| " + " | ".join(keys) + " |\n|" + "---|" * len(keys))
    for row in results:
        print("| " + " | ".join(str(row.get(k, row.get("error", ""))) for k in keys) + " |")


if __name__ == "__main__":
    sys.exit(main())
