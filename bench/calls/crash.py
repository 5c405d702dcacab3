"""Crash test: SIGKILL the real server in the middle of a CTI burst; no acknowledged event lost.

    python bench/calls/crash.py                      # 64 senders, 10 s of load, then SIGKILL
    python bench/calls/crash.py --senders 16 --seconds 3 --rounds 3

Starts `soporte run --no-demo` (granian, 2 workers, the worker, the relay) on a fresh VAR_DIR,
lets N senders post calls (newCall → answer → hangup, each event only after the previous one
was acknowledged), kills the server's whole process group with SIGKILL while they post, then
opens the database: every event that got a 2xx must be in calls_callevent (once: the key is
unique), and `PRAGMA integrity_check` must say ok. The short profile is
tests/integration/test_cti_crash.py.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.calls.common import free_port, kill_group, prepare, server_env, start_server  # noqa: E402

TOKEN = "crash-cti-token-0001"
BASE = {"from": "+52 55 5341 2201", "to": "+52 55 5000 1000", "direction": "in"}


def sender(port: int, prefix: str, acked: list, stop: threading.Event, counts: dict) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = 0
    while not stop.is_set():
        n += 1
        call_id = f"{prefix}-{n}"
        for kind, extra in (
            ("newCall", {"user": ["Agente Inexistente"], "queue": "soporte"}),
            ("answer", {"answeringNumber": "101"}),
            ("hangup", {"cause": "normalClearing", "initiator": "caller"}),
        ):
            body = json.dumps({"event": kind, "callId": call_id, **BASE, **extra})
            try:
                conn.request(
                    "POST",
                    f"/api/v1/cti/{TOKEN}",
                    body=body,
                    headers={"Content-Type": "application/json"},
                )
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                counts["errors"] = counts.get("errors", 0) + 1
                return  # the server is gone
            if 200 <= response.status < 300:
                acked.append(f"{call_id}|{kind}")
            else:
                counts[response.status] = counts.get(response.status, 0) + 1
                break  # the next events of this call would be refused


def crash_round(var_dir: Path, *, senders: int, seconds: float, prepared: bool = False) -> dict:
    env = server_env(var_dir)
    if not prepared:
        prepare(var_dir, TOKEN, demo=False, env=env)
    port = free_port()
    server = start_server(var_dir, port, env=env)
    acked: list[str] = []
    counts: dict = {}
    stop = threading.Event()
    run = uuid.uuid4().hex[:8]
    threads = [
        threading.Thread(target=sender, args=(port, f"{run}-{i}", acked, stop, counts), daemon=True)
        for i in range(senders)
    ]
    for t in threads:
        t.start()
    time.sleep(seconds)
    acked_before_kill = len(acked)
    kill_group(server)
    stop.set()
    for t in threads:
        t.join(15)
    db = sqlite3.connect(var_dir / "soporte.sqlite3", timeout=30)
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    stored = {
        row[0]
        for row in db.execute("SELECT key FROM calls_callevent WHERE key LIKE ?", (run + "-%",))
    }
    dupes = db.execute(
        "SELECT count(*) FROM (SELECT key FROM calls_callevent GROUP BY line_id, key HAVING count(*) > 1)"
    ).fetchone()[0]
    db.close()
    missing = [key for key in acked if key not in stored]
    return {
        "acked": len(acked),
        "acked_before_kill": acked_before_kill,
        "stored": len(stored),
        "stored_not_acked": len(stored - set(acked)),
        "missing": missing,
        "duplicates": dupes,
        "integrity": integrity,
        "other_statuses": counts,
        "events_per_s": acked_before_kill / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--senders", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="calls-crash-"))
    failed = False
    for r in range(args.rounds):
        # The same database each round: later rounds restart on a database that was killed.
        res = crash_round(var_dir, senders=args.senders, seconds=args.seconds, prepared=r > 0)
        ok = not res["missing"] and res["integrity"] == "ok" and res["duplicates"] == 0
        failed |= not ok
        print(
            f"round {r + 1}: acked {res['acked']} ({res['events_per_s']:.0f}/s), stored {res['stored']} "
            f"(+{res['stored_not_acked']} in flight at the kill), missing {len(res['missing'])}, "
            f"duplicates {res['duplicates']}, integrity {res['integrity']}, other {res['other_statuses']}  "
            f"{'PASS' if ok else 'FAIL'}",
            flush=True,
        )
    if failed:
        print(f"VAR_DIR kept for inspection: {var_dir}")
        sys.exit(1)
    shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
