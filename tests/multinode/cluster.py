"""Two web nodes and two workers on loopback, against one PostgreSQL and one Redis.

Each web node is `soporte run --no-worker` with its own VAR_DIR (its own CTI writer, its own
static files), as on two machines; the uploads directory is shared, as a mounted volume would
be. The workers are `soporte worker` processes, as the Procfile runs them. Used by
tests/multinode/ and bench/multinode/.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.calls.common import stop_server

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "multi-nodo-conmutador"
PASSWORD = "multi-nodo-2026"
AGENT = ("ana.perez", "Ana", "Pérez")  # username, first and last name
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/soporte"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_base() -> str:
    return os.environ.get("TEST_POSTGRES_URL") or DEFAULT_PG


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS


def admin_url() -> str:
    """The server's maintenance database (the test database may not exist yet)."""
    return urlunsplit(urlsplit(postgres_base())._replace(path="/postgres"))


def fresh_database(name_suffix: str) -> str:
    """Drop and create `<test database>_<suffix>`; return its URL."""
    import psycopg

    parts = urlsplit(postgres_base())
    name = f"{parts.path.lstrip('/') or 'soporte'}_{name_suffix}"
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


@dataclass
class Node:
    name: str
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    root: Path
    database_url: str
    web_workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")}
        env.update(
            DJANGO_SETTINGS_MODULE="soporte.settings",
            DATABASE_URL=self.database_url,
            REDIS_URL=redis_url(),
            SOPORTE_REDIS_PREFIX=f"mn{os.getpid()}",
            VAR_DIR=str(self.root / name),
            MEDIA_ROOT=str(self.root / "media"),
            SOPORTE_DEMO_CTI_TOKEN=TOKEN,
            SOPORTE_JOB_LEASE_S="3",
            SOPORTE_EXTRA_TASK_MODULES="soporte.jobs.tests.sample_jobs",
            SOPORTE_TEST_TRACE_DIR=str(self.trace_dir),
            SOPORTE_WORKER_NICE="0",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    @property
    def trace_dir(self) -> Path:
        return self.root / "trace"

    def manage(self, *args: str) -> None:
        (self.root / "setup").mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", *args],
            env=self.env("setup"),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def prepare(self) -> dict[str, object]:
        self.manage("soporte.cli", "migrate", "-v0")
        self.manage("tests.multinode.desk")
        self.facts: dict[str, object] = json.loads((self.root / "setup" / "desk.json").read_text())
        return self.facts

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen[bytes]:
        (self.root / name).mkdir(parents=True, exist_ok=True)
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            cmd,
            env=self.env(name),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a node is a process group: killpg ends all of it
        )
        proc.log_file = log  # type: ignore[attr-defined]  # closed by stop_server
        return proc

    def start_node(self, name: str) -> Node:
        port = free_port()
        cmd = [
            sys.executable,
            "-m",
            "soporte.cli",
            "run",
            "--no-worker",
            "--no-demo",
            "--port",
            str(port),
            "--workers",
            str(self.web_workers),
        ]
        node = Node(name, port, self._spawn(name, cmd))
        self.nodes.append(node)
        return node

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        proc = self._spawn(name, [sys.executable, "-m", "soporte.cli", "worker", "--id", name])
        self.workers[name] = proc
        return proc

    def wait_ready(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            while True:
                try:
                    with urllib.request.urlopen(f"{node.base}/readyz", timeout=2) as r:
                        if json.load(r)["status"] == "ok":
                            break
                except (OSError, ValueError):
                    pass
                if node.proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.root / f"{node.name}.log").read_text(errors="replace")
                    raise RuntimeError(f"node {node.name} did not start:\n{log[-3000:]}")
                time.sleep(0.3)

    def kill(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Signal a node's or a worker's whole process group, and sweep what outlives it."""
        stop_server(proc, sig)

    def stop(self) -> None:
        for proc in [*(n.proc for n in self.nodes), *self.workers.values()]:
            if proc.poll() is None:
                self.kill(proc, signal.SIGTERM)
