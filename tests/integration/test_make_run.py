"""`make run` — the one command a new user types — serves the desk with demo logins."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
# `make run` migrates and loads the demo desk (about 25 s of CPU on an idle core).
STARTUP_TIMEOUT_S = 300
SHUTDOWN_TIMEOUT_S = 20
# The caller's database and channel settings must not leak into a fresh desk.
SCRUBBED_ENV = {"DATABASE_URL", "REDIS_URL", "SOPORTE_RELAY_SOCKET", "MAKEFLAGS", "MAKELEVEL"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def port_answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def group_members(pgid: int) -> list[str]:
    """Live (non-zombie) processes of the group, as "pid command" strings (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # exited while we looked
        command = text[text.index("(") + 1 : text.rindex(")")]
        state, _ppid, group = text[text.rindex(")") + 2 :].split()[:3]
        if int(group) == pgid and state not in {"Z", "X"}:
            members.append(f"{stat.parent.name} {command}")
    return members


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole group (make, soporte run, granian and its workers, the worker)."""
    pgid = proc.pid  # start_new_session: the group id is make's pid
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT_S
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if group_members(pgid):
        os.killpg(pgid, signal.SIGKILL)
    proc.wait(timeout=10)
    # A killed process lingers for a moment until its parent (or init) reaps it.
    deadline = time.monotonic() + 10
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)


def test_make_run_serves_the_desk_and_prints_demo_logins(tmp_path):
    port = free_port()
    log_path = tmp_path / "make-run.log"
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(VAR_DIR=str(tmp_path / "var"), PORT=str(port), PYTHONUNBUFFERED="1")
    base = f"http://127.0.0.1:{port}"

    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            ["make", "run"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pgid = proc.pid
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        health: tuple[int, object] = (0, None)
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"make run exited early:\n{log_path.read_text()}"
            try:
                health = get_json(f"{base}/healthz")
            except (OSError, ValueError):
                health = (0, None)
            if health[0] == 200:
                break
            time.sleep(0.5)
        console = log_path.read_text()
        assert health == (200, {"status": "ok"}), (
            f"no /healthz after {STARTUP_TIMEOUT_S} s:\n{console}"
        )

        assert "Accesos de demostración" in console, console
        assert "soporte-demo" in console, console
        # Set-up says what it is doing, and every demo login is listed under its heading.
        assert "[1/4]" in console and "[4/4]" in console, console
        assert "Agentes · nivel 4" in console, console
        assert f"Soporte atiende en {base}/" in console, console
        with urllib.request.urlopen(f"{base}/favicon.ico", timeout=5) as response:
            assert response.status == 200
        status, ready = get_json(f"{base}/readyz")
        assert (status, ready["status"], ready["database"]) == (200, "ok", "ok")
        # The two background workers `make run` starts (jobs; PDF builds) come up (a loaded
        # machine may take a while to import Django in them) and beat; nothing failed.
        worker_deadline = time.monotonic() + 120
        while ready["queue"]["workers"] < 2 and time.monotonic() < worker_deadline:
            time.sleep(1)
            status, ready = get_json(f"{base}/readyz")
        queue = ready["queue"]
        assert (queue["status"], queue["workers"], queue["failed"]) == ("ok", 2, 0), queue
        assert (tmp_path / "var" / "soporte.sqlite3").exists()
    finally:
        stop_group(proc)

    assert group_members(pgid) == [], "processes of `make run` outlived the stop"
    assert not port_answers(port), f"something still listens on port {port}"
