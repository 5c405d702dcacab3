"""CTI throughput against a plain insert view, same server, same run; then a DB check.

    python bench/calls/run.py                    # 15 s each, 64 connections, soporte run
    python bench/calls/run.py --duration 8 --server granian

Starts the real server on a fresh VAR_DIR with the demo loaded (`soporte run --no-demo` after
`soporte migrate && soporte demo`, settings bench.calls.bench_settings which add
POST /bench/insert), then for each target a 3 s warm-up and a measured wrk run
(-t1 -c64 --latency):

  cti    POST /api/v1/cti/<token>   cti_mix.lua: newCall/answer/hangup, 1/3 each, unique callIds
  plain  POST /bench/insert         plain_insert.lua: the same body, one row per request

Requirement: cti >= 2,000 events/s with p99 < 50 ms (64 concurrent senders, SQLite).
Afterwards every event wrk saw acknowledged must be in calls_callevent exactly once:
stored events of the measured run >= its 2xx count and <= 2xx + 64 (requests in flight when
wrk stopped may be committed without wrk counting them), no key twice, integrity_check ok.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.calls.common import free_port, prepare, server_env, start_server, stop_server  # noqa: E402

HERE = Path(__file__).resolve().parent
TOKEN = "bench-cti-token-0001"


def parse_ms(value: str) -> float:
    number = float(re.match(r"[\d.]+", value).group(0))
    if value.endswith("us"):
        return number / 1000
    if value.endswith("ms"):
        return number
    if value.endswith("m"):
        return number * 60_000
    return number * 1000


def wrk(port: int, script: str, seconds: int, connections: int, env_extra: dict) -> dict:
    env = dict(os.environ, **env_extra)
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(HERE / script),
        f"http://127.0.0.1:{port}",
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": total,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors,
        "p50_ms": parse_ms(lat["50"]),
        "p90_ms": parse_ms(lat["90"]),
        "p99_ms": parse_ms(lat["99"]),
        "raw": out,
    }


def verify(db_path: Path, run_id: str, acked: int, connections: int) -> dict:
    db = sqlite3.connect(db_path, timeout=60)
    stored = db.execute(
        "SELECT count(*), count(DISTINCT line_id || '|' || key) FROM calls_callevent WHERE key LIKE ?",
        (run_id + "-%",),
    ).fetchone()
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    ok = stored[0] == stored[1] and acked <= stored[0] <= acked + connections and integrity == "ok"
    return {
        "stored": stored[0],
        "distinct": stored[1],
        "acked": acked,
        "integrity": integrity,
        "ok": ok,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server", choices=["soporte-run", "granian"], default="soporte-run")
    parser.add_argument("--order", default="cti,plain")
    parser.add_argument("--var-dir", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    var_dir = Path(
        args.var_dir
        or tempfile.mkdtemp(
            prefix="calls-bench-",
            dir=HERE.parent / ".data" if (HERE.parent / ".data").exists() else None,
        )
    )
    env = server_env(var_dir)
    t = time.monotonic()
    prepare(var_dir, TOKEN, demo=True, env=env)
    print(f"prepared {var_dir} in {time.monotonic() - t:.1f} s", flush=True)
    port = free_port()
    server = start_server(var_dir, port, env=env, mode=args.server)
    stamp = dt.datetime.now(dt.UTC).strftime("%H%M%S")
    results: dict = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} CPU, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        "server": args.server,
        "connections": args.connections,
        "load_before": os.getloadavg(),
        "runs": {},
    }
    try:
        for name in args.order.split(","):
            script = "cti_mix.lua" if name == "cti" else "plain_insert.lua"
            extra = {"CTI_TOKEN": TOKEN}
            wrk(port, script, args.warmup, args.connections, extra | {"RUN_ID": f"w{stamp}"})
            run_id = f"m{stamp}"
            res = wrk(port, script, args.duration, args.connections, extra | {"RUN_ID": run_id})
            res["load"] = os.getloadavg()
            if name == "cti":
                time.sleep(1)
                res["verify"] = verify(
                    var_dir / "soporte.sqlite3",
                    run_id,
                    res["requests"] - res["non2xx"],
                    args.connections,
                )
            results["runs"][name] = {k: v for k, v in res.items() if k != "raw"}
            print(
                f"{name:<6} {res['rps']:8.1f} req/s  p50 {res['p50_ms']:6.1f} ms  p90 {res['p90_ms']:6.1f} ms  "
                f"p99 {res['p99_ms']:6.1f} ms  n={res['requests']} non2xx={res['non2xx']} "
                f"sockerr={res['socket_errors']}  load {res['load'][0]:.2f}"
                + (f"  verify {res['verify']}" if "verify" in res else ""),
                flush=True,
            )
    finally:
        stop_server(server)
    runs = results["runs"]
    if "cti" in runs and "plain" in runs:
        results["ratio_cti_to_plain"] = runs["cti"]["rps"] / runs["plain"]["rps"]
        print(f"cti/plain = {results['ratio_cti_to_plain']:.2f}")
    if "cti" in runs:
        cti = runs["cti"]
        ok = (
            cti["rps"] >= 2000 and cti["p99_ms"] < 50 and cti["non2xx"] == 0 and cti["verify"]["ok"]
        )
        print(
            f"requirement (>= 2,000 events/s, p99 < 50 ms, 0 non-2xx, all acked stored once): "
            f"{'PASS' if ok else 'FAIL'}"
        )
    out = Path(args.out) if args.out else var_dir / "results.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
