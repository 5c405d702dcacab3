"""The PDF hammer (issue #19, defect 2): while one customer asks for a large logbook's PDF
from several connections at once, does the desk stay responsive?

    python bench/pdf/hammer.py [--entries 200] [--hammers 4] [--seconds 30]

Fresh VAR_DIR, `soporte run --no-demo` (2 web workers), a logbook of ENTRIES notes with 4.5 KB
fields. Phase 1 (baseline): an agent loads the ticket page and /healthz in a loop. Phase 2:
the same, while HAMMERS threads request the customer's PDF as fast as answers come back.
Prints the ticket page's p50/p99 per phase and what the PDF requests got: 202 (the progress
page while the worker builds it), 200 (the file, once built), 429/503 (limits), and how long
from the first request until the file was served (the background build's latency).
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.calls.common import PYTHON, ROOT, free_port, server_env, start_server, stop_server  # noqa: E402


def get(port: int, path: str, session: str) -> tuple[int, float, int]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers={"Cookie": f"sessionid={session}"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, (time.perf_counter() - started) * 1000, len(body)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def probe(port: int, data: dict, seconds: float) -> dict:
    page: list[float] = []
    health: list[float] = []
    statuses: Counter = Counter()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status, ms, _size = get(port, f"/tickets/{data['ticket']}/", data["agent"])
        statuses[status] += 1
        page.append(ms)
        health.append(get(port, "/healthz", data["agent"])[1])
        time.sleep(0.05)
    return {
        "n": len(page),
        "statuses": dict(statuses),
        "p50": pct(page, 0.5),
        "p99": pct(page, 0.99),
        "max": max(page),
        "healthz_p99": pct(health, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--hammers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="hardening-pdf-bench-"))
    env = server_env(var_dir, settings="soporte.settings")
    subprocess.run(
        [str(PYTHON), str(ROOT / "manage.py"), "migrate", "-v0"], env=env, cwd=ROOT, check=True
    )
    out = subprocess.run(
        [str(PYTHON), str(ROOT / "bench" / "pdf" / "setup.py"), "--entries", str(args.entries)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    port = free_port()
    proc = start_server(var_dir, port, env=env)
    try:
        get(port, f"/tickets/{data['ticket']}/", data["agent"])  # warm
        baseline = probe(port, data, args.seconds / 2)
        pdf: Counter = Counter()
        pdf_ms: list[float] = []
        answer_ms: list[float] = []
        first_ready: list[float] = []
        stop = threading.Event()
        started = time.monotonic()

        def hammer() -> None:
            while not stop.is_set():
                status, ms, _size = get(port, f"/bitacora/{data['logbook']}/pdf/", data["customer"])
                pdf[status] += 1
                answer_ms.append(ms)
                if status == 200:
                    pdf_ms.append(ms)
                    if not first_ready:
                        first_ready.append(time.monotonic() - started)

        threads = [threading.Thread(target=hammer) for _ in range(args.hammers)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        hammered = probe(port, data, args.seconds)
        stop.set()
        for t in threads:
            t.join(180)
        print(
            json.dumps(
                {
                    "entries": args.entries,
                    "hammers": args.hammers,
                    "baseline": baseline,
                    "hammered": hammered,
                    "pdf": dict(pdf),
                    "pdf_200_ms_p50": pct(pdf_ms, 0.5),
                    "pdf_200_ms_max": max(pdf_ms, default=0),
                    "pdf_answer_ms_p99": pct(answer_ms, 0.99),
                    "pdf_ready_after_s": round(first_ready[0], 1) if first_ready else None,
                },
                indent=1,
            )
        )
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
