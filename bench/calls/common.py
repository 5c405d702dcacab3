"""Shared by the calls benchmarks and the crash test: a fresh VAR_DIR, the real server."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
if not PYTHON.exists():
    PYTHON = Path(sys.executable)
SETTINGS = "bench.calls.bench_settings"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(var_dir: Path, settings: str = SETTINGS, redis_url: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE=settings,
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def prepare(
    var_dir: Path, token: str, *, demo: bool, agents: int = 0, env: dict | None = None
) -> dict:
    """Migrate (and load the demo), then create the bench line (and agents with sessions)."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = env or server_env(var_dir)
    manage = [str(PYTHON), str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    if demo:
        subprocess.run([*manage, "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    out = subprocess.run(
        [
            str(PYTHON),
            str(ROOT / "bench" / "calls" / "setup.py"),
            "--token",
            token,
            "--agents",
            str(agents),
        ],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def start_server(
    var_dir: Path,
    port: int,
    *,
    env: dict | None = None,
    workers: int = 2,
    mode: str = "soporte-run",
):
    """`soporte run --no-demo` (granian ASGI + the worker + the relay), in its own process group."""
    env = env or server_env(var_dir)
    log = open(var_dir / "server.log", "ab")  # noqa: SIM115
    if mode == "soporte-run":
        cmd = [
            str(PYTHON),
            "-m",
            "soporte.cli",
            "run",
            "--no-demo",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
    else:  # granian alone: the same web server without the supervisor's worker
        cmd = [
            str(PYTHON.parent / "granian"),
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--ws",
            "--log-level",
            "warning",
            "soporte.asgi:application",
        ]
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    proc.log_file = log  # type: ignore[attr-defined]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {(var_dir / 'server.log').read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError("server did not become ready")


def stop_server(proc, sig: int = signal.SIGTERM) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    # `soporte run` stops granian's main process; seen once under load: its two worker
    # processes outlived it (orphaned, still listening). Sweep the group.
    time.sleep(1)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.log_file.close()


def kill_group(proc) -> None:
    """SIGKILL the whole process group at once: supervisor, web workers, background worker."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    # granian's worker processes share the group; make sure none survived to write later.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    proc.log_file.close()
