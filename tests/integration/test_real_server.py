"""The real server (`soporte run`: granian, several workers, the relay): forms post, sessions
stick, and a presence change made through one worker reaches a websocket held by any worker."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(VAR_DIR=str(var), PYTHONUNBUFFERED="1")
    # The demo without its weeks of history and the workshop: these tests need its people only.
    for step in (["migrate", "-v0"], ["demo", "--minimal"]):
        subprocess.run(
            [sys.executable, "-m", "soporte.cli", *step], env=env, check=True, capture_output=True
        )
    log = open(var / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "soporte.cli", "run", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    # Start-up loads the demo desk (about 25 s of CPU); a machine shared with other work needs
    # several times that.
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"server did not start:\n{Path(var / 'server.log').read_text()}")
        yield base, var
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=10) as r:
            return r.status, r.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=10) as r:
            return r.status, r.read().decode()

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.jar if c.name == name)

    def login(self, username: str, password: str = "soporte-demo") -> str:
        _, page = self.get("/entrar/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, home = self.post(
            "/entrar/", {"username": username, "password": password, "csrfmiddlewaretoken": token}
        )
        assert status == 200
        return home


def test_a_person_logs_in_through_the_real_server(server):
    base, _var = server
    home = Browser(base).login("blanca.herrera")
    assert "Hola, Blanca" in home
    assert 'lang="es"' in home


def test_presence_change_reaches_websockets_on_every_worker(server):
    base, _var = server
    watcher = Browser(base)
    watcher.login("supervisor")
    ws_url = base.replace("http://", "ws://") + "/ws/presence/"
    headers = {"Cookie": f"sessionid={watcher.cookie('sessionid')}", "Origin": base}
    # Several connections, so that with two workers both hold at least one (the kernel
    # spreads connections between them).
    sockets = [connect(ws_url, additional_headers=headers, open_timeout=10) for _ in range(6)]
    try:
        agent = Browser(base)
        home = agent.login("blanca.herrera")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home).group(1)
        status, _ = agent.post(
            "/directorio/presencia/",
            {"presence": "away", "next": "/", "csrfmiddlewaretoken": token},
        )
        assert status == 200
        for ws in sockets:
            message = json.loads(ws.recv(timeout=10))
            assert message["presence"] == "away"
            assert message["label"] == "Ausente"
    finally:
        for ws in sockets:
            ws.close()


def test_customers_cannot_open_the_presence_websocket(server):
    base, _var = server
    customer = Browser(base)
    customer.login("roberto.sanchez")
    ws_url = base.replace("http://", "ws://") + "/ws/presence/"
    headers = {"Cookie": f"sessionid={customer.cookie('sessionid')}", "Origin": base}
    with pytest.raises(Exception):  # noqa: B017 - refused at the handshake or closed at once
        with connect(ws_url, additional_headers=headers, open_timeout=10) as ws:
            ws.recv(timeout=5)
