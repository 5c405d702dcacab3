"""Real `soporte worker` processes on the test database, for the tests that kill them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.db import connection

SAMPLE_JOBS = "soporte.jobs.tests.sample_jobs"


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    user = quote(conf.get("USER") or "")
    password = f":{quote(conf['PASSWORD'])}" if conf.get("PASSWORD") else ""
    host = conf.get("HOST") or "127.0.0.1"
    port = conf.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{conf['NAME']}"


def worker_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "SOPORTE_RELAY_SOCKET"}}
    env.update(
        DATABASE_URL=database_url(),
        VAR_DIR=str(var_dir),
        SOPORTE_JOB_LEASE_S="2",
        SOPORTE_EXTRA_TASK_MODULES=SAMPLE_JOBS,
        SOPORTE_WORKER_NICE="0",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def start_worker(var_dir: Path, name: str, **extra: str) -> subprocess.Popen[bytes]:
    log = open(var_dir / f"worker-{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "soporte.cli", "worker", "--id", name],
        env=worker_env(var_dir, **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Spawner:
    """Starts worker processes for one test and ends whatever is left at teardown."""

    def __init__(self, var_dir: Path, **extra: str) -> None:
        self.var_dir = var_dir
        self.extra = extra
        self.procs: list[subprocess.Popen[bytes]] = []

    def __call__(self, name: str) -> subprocess.Popen[bytes]:
        proc = start_worker(self.var_dir, name, **self.extra)
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        stop(self.procs)
