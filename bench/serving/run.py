"""Serving benchmark: WSGI-class HTTP + Channels websockets on one port.

Run through run.sh (it installs the bench-only deps first). For each run and
each setup: start the server (2 workers, 127.0.0.1 only), wrk warm-up 2 s,
`wrk -t1 -c16 -d10s --latency` on /hello, warm-up 2 s, the same on
/item/<random id>, websocket echo check where the setup claims websockets,
stop the server (its whole process group) and check the port is free.

Env: RUNS (default 2), DURATION (10s), ONLY (comma list of setup names),
     SKIP_WS_CHECK=1.
Output: .data/results/<timestamp>/{results.jsonl,results.md,logs/}
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "project"
DEPS = HERE / ".deps"
VENV_BIN = Path(os.environ.get("VENV_BIN", HERE.parent.parent / ".venv" / "bin"))
PY = str(VENV_BIN / "python")
GRANIAN = str(VENV_BIN / "granian")
UVICORN = str(VENV_BIN / "uvicorn")

RUNS = int(os.environ.get("RUNS", "2"))
DURATION = os.environ.get("DURATION", "10s")
ONLY = [s for s in os.environ.get("ONLY", "").split(",") if s]
ENDPOINTS = [e for e in os.environ.get("ENDPOINTS", "hello,item,post").split(",") if e]
PORT_BASE = 18100  # ports 18100-18199 only

WRK_WARM = ["wrk", "-t1", "-c16", "-d2s"]
WRK = ["wrk", "-t1", "-c16", f"-d{DURATION}", "--latency", "--timeout", "30s"]

GRANIAN_ASGI = [
    GRANIAN,
    "--interface",
    "asgi",
    "--workers",
    "2",
    "--host",
    "127.0.0.1",
    "--no-access-log",
    "--log-level",
    "warning",
]
UVICORN_ASGI = [
    UVICORN,
    "--workers",
    "2",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--ws",
    "websockets-sansio",
    "--host",
    "127.0.0.1",
    "--no-access-log",
    "--log-level",
    "warning",
]


def setups():
    s = []
    # name, description, argv (without port), env, websockets expected
    s.append(
        (
            "a-granian-wsgi",
            "granian WSGI --blocking-threads 1",
            [
                GRANIAN,
                "--interface",
                "wsgi",
                "--workers",
                "2",
                "--blocking-threads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-access-log",
                "--log-level",
                "warning",
                "servbench.wsgi:application",
                "--port",
            ],
            {},
            False,
        )
    )
    s.append(
        (
            "b-gunicorn-sync",
            "gunicorn -k sync -w 2",
            [
                PY,
                "-m",
                "gunicorn",
                "-k",
                "sync",
                "-w",
                "2",
                "--log-level",
                "warning",
                "servbench.wsgi:application",
                "-b",
            ],
            {},
            False,
        )
    )
    for t in (1, 2, 3, 4):
        s.append(
            (
                f"c-granian-asgi-a2wsgi-t{t}",
                f"granian ASGI + a2wsgi (workers={t}) + Channels",
                GRANIAN_ASGI + ["servbench.dispatch:application", "--port"],
                {"SERVBENCH_WSGI_THREADS": str(t), "SERVBENCH_BRIDGE": "a2wsgi"},
                True,
            )
        )
    for t in (1, 2):
        s.append(
            (
                f"c-granian-asgi-thin-t{t}",
                f"granian ASGI + one-hop bridge (threads={t}) + Channels",
                GRANIAN_ASGI + ["servbench.dispatch:application", "--port"],
                {"SERVBENCH_WSGI_THREADS": str(t), "SERVBENCH_BRIDGE": "thin"},
                True,
            )
        )
    for t in (1, 2, 4):
        s.append(
            (
                f"d-uvicorn-a2wsgi-t{t}",
                f"uvicorn + a2wsgi (workers={t}) + Channels",
                UVICORN_ASGI + ["servbench.dispatch:application", "--port"],
                {"SERVBENCH_WSGI_THREADS": str(t), "SERVBENCH_BRIDGE": "a2wsgi"},
                True,
            )
        )
    s.append(
        (
            "d-uvicorn-thin-t1",
            "uvicorn + one-hop bridge (threads=1) + Channels",
            UVICORN_ASGI + ["servbench.dispatch:application", "--port"],
            {"SERVBENCH_WSGI_THREADS": "1", "SERVBENCH_BRIDGE": "thin"},
            True,
        )
    )
    # a2wsgi without the receive() wrapper in dispatch.py: request bodies fail under granian
    s.append(
        (
            "g-granian-asgi-a2wsgi-t1-nofix",
            "as c-granian-asgi-a2wsgi-t1 but without the receive() wrapper (POST check)",
            [*GRANIAN_ASGI, "servbench.dispatch:application", "--port"],
            {
                "SERVBENCH_WSGI_THREADS": "1",
                "SERVBENCH_BRIDGE": "a2wsgi",
                "SERVBENCH_RECEIVE_FIX": "0",
            },
            True,
        )
    )
    if os.environ.get("EXPLORE"):
        s.append(
            (
                "x-uvicorn-a2wsgi-t1-nofix",
                "as d-uvicorn-a2wsgi-t1 but without the receive() wrapper (POST check)",
                [*UVICORN_ASGI, "servbench.dispatch:application", "--port"],
                {
                    "SERVBENCH_WSGI_THREADS": "1",
                    "SERVBENCH_BRIDGE": "a2wsgi",
                    "SERVBENCH_RECEIVE_FIX": "0",
                },
                True,
            )
        )
    # granian ASGI runtime knobs (exploratory, prefix x-, only with EXPLORE=1)
    for bridge in ("a2wsgi", "thin") if os.environ.get("EXPLORE") else ():
        for tag, flags in (
            ("st", ["--runtime-mode", "st"]),
            ("rusttask", ["--task-impl", "rust"]),
            ("asyncioloop", ["--loop", "asyncio"]),
        ):
            s.append(
                (
                    f"x-granian-asgi-{bridge}-t1-{tag}",
                    f"granian ASGI {' '.join(flags)} + {bridge} (1 thread)",
                    GRANIAN_ASGI + flags + ["servbench.dispatch:application", "--port"],
                    {"SERVBENCH_WSGI_THREADS": "1", "SERVBENCH_BRIDGE": bridge},
                    True,
                )
            )
    s.append(
        (
            "e-granian-django-asgi",
            "granian ASGI + Django get_asgi_application()",
            GRANIAN_ASGI + ["servbench.asgi_django:application", "--port"],
            {},
            False,
        )
    )
    if ONLY:
        s = [x for x in s if any(x[0].startswith(o) for o in ONLY)]
    return s


def port_free(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_ready(port, proc, timeout=40):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=2) as r:
                if r.status == 200:
                    return True
        except Exception:
            time.sleep(0.2)
    return False


def start(argv, port, env_extra, log_path):
    env = dict(os.environ)
    env.update(env_extra)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT), str(DEPS)])
    env["DJANGO_SETTINGS_MODULE"] = "servbench.settings"
    env["PYTHONUNBUFFERED"] = "1"
    bind = f"127.0.0.1:{port}" if argv[-1] == "-b" else str(port)
    log = open(log_path, "w")
    proc = subprocess.Popen(
        argv + [bind],
        cwd=PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # own process group = this pid
    return proc, log


def stop(proc, log, port):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the group we created, by its id
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            pass
    try:  # reap stragglers of our own group (workers)
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass
    log.close()
    for _ in range(50):
        if port_free(port):
            return True
        time.sleep(0.1)
    return False


def ms(v, unit):
    v = float(v)
    return {"us": v / 1000, "ms": v, "s": v * 1000}[unit]


def parse_wrk(out):
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    r["completed"] = int(m.group(1)) if m else 0
    m = re.search(r"Latency\s+([\d.]+)(us|ms|s)\s", out)
    r["mean_ms"] = ms(*m.groups()) if m else None
    for pct in ("50", "99"):
        m = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        r[f"p{pct}_ms"] = ms(*m.groups()) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["sock_err"] = sum(map(int, m.groups())) if m else 0
    if r["mean_ms"] and r["rps"]:
        r["in_flight"] = round(r["rps"] * r["mean_ms"] / 1000, 1)
    return r


HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def cpu_busy():
    """Machine-wide busy CPU seconds (user+nice+system+steal) from /proc/stat."""
    f = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    user, nice, system, _idle, _iow, _irq, _sirq, steal = map(int, f[1:9])
    return (user + nice + system + steal) / HZ


def group_cpu(pgid):
    """CPU seconds used so far by the live processes of process group pgid."""
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            st = (d / "stat").read_text()
        except OSError:
            continue
        rest = st.rsplit(")", 1)[1].split()
        if int(rest[2]) == pgid:  # field 5: pgrp
            total += int(rest[11]) + int(rest[12])  # utime, stime
    return total / HZ


def children_cpu():
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def wait_quiet(max_wait=45, limit=0.15):
    """Wait (up to max_wait s) until other work on the machine uses < limit of all cores."""
    waited = 0
    while True:
        b0 = cpu_busy()
        time.sleep(1)
        load = (cpu_busy() - b0) / NCPU
        if load < limit or waited >= max_wait:
            return waited, round(load, 2)
        time.sleep(4)
        waited += 5


def wrk(port, endpoint, pgid):
    url = f"http://127.0.0.1:{port}"
    extra = {
        "hello": [],
        "item": ["-s", str(HERE / "random_item.lua")],
        "post": ["-s", str(HERE / "post_1k.lua")],
    }[endpoint]
    path = {"hello": "/hello", "item": "/", "post": "/upload"}[endpoint]
    subprocess.run(WRK_WARM + extra + [url + path], capture_output=True, text=True)
    b0, s0, c0, t0 = cpu_busy(), group_cpu(pgid), children_cpu(), time.time()
    out = subprocess.run(WRK + extra + [url + path], capture_output=True, text=True).stdout
    b1, s1, c1, t1 = cpu_busy(), group_cpu(pgid), children_cpu(), time.time()
    res = parse_wrk(out)
    cap = NCPU * (t1 - t0)
    res["server_cpu"] = round((s1 - s0) / cap, 2)  # share of all cores used by the server
    res["wrk_cpu"] = round((c1 - c0) / cap, 2)
    # CPU used by anything else on the machine during the run (other users' jobs, steal)
    res["foreign_cpu"] = round(max(0.0, (b1 - b0) - (s1 - s0) - (c1 - c0)) / cap, 2)
    return res, out


def ws_check(port):
    env = dict(os.environ, PYTHONPATH=str(DEPS))
    p = subprocess.run(
        [PY, str(HERE / "wsclient.py"), str(port)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except Exception:
        return {"ok": False, "error": (p.stdout + p.stderr)[-500:]}


def post_check(port):
    p = subprocess.run(
        [PY, str(HERE / "postcheck.py"), str(port)], capture_output=True, text=True, timeout=120
    )
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except Exception:
        return {"ok": False, "error": (p.stdout + p.stderr)[-500:]}


def ws_under_load(port):
    url = f"http://127.0.0.1:{port}/"
    load = subprocess.Popen(
        ["wrk", "-t1", "-c16", "-d8s", "-s", str(HERE / "random_item.lua"), url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.5)
        return ws_check(port)
    finally:
        load.wait(30)


def log_problems(path):
    text = Path(path).read_text(errors="replace")
    bad = [
        ln
        for ln in text.splitlines()
        if re.search(r"Traceback|ERROR|Exception|WARNING|warn", ln, re.I)
    ]
    return len(bad), bad[:5]


def main():
    ts = time.strftime("%Y%m%d-%H%M%S")
    outdir = HERE / ".data" / "results" / ts
    (outdir / "logs").mkdir(parents=True, exist_ok=True)
    jsonl = open(outdir / "results.jsonl", "w")
    all_setups = setups()
    ports = {name: PORT_BASE + i for i, (name, *_rest) in enumerate(all_setups)}
    assert max(ports.values()) <= 18199
    rows = []
    t_start = time.time()
    for run in range(1, RUNS + 1):
        order = all_setups if run % 2 else list(reversed(all_setups))  # alternate order vs drift
        for name, desc, argv, env_extra, has_ws in order:
            port = ports[name]
            if not port_free(port):
                print(f"!! port {port} busy, skipping {name}", flush=True)
                continue
            rec_wait = wait_quiet()
            log_path = outdir / "logs" / f"{name}-run{run}.log"
            proc, log = start(argv, port, env_extra, log_path)
            rec = {
                "setup": name,
                "desc": desc,
                "run": run,
                "port": port,
                "waited_for_quiet_s": rec_wait[0],
                "load_before": rec_wait[1],
            }
            try:
                if not wait_ready(port, proc):
                    rec["error"] = "server did not become ready"
                else:
                    for endpoint in ENDPOINTS:
                        res, raw = wrk(port, endpoint, proc.pid)
                        rec[endpoint] = res
                        (outdir / "logs" / f"{name}-run{run}-{endpoint}.wrk.txt").write_text(raw)
                    rec["post_check"] = post_check(port)
                    if has_ws and not os.environ.get("SKIP_WS_CHECK"):
                        rec["ws"] = ws_check(port)
                        # websocket echo while HTTP is saturated (separate, unrecorded wrk run)
                        rec["ws_loaded"] = ws_under_load(port)
            finally:
                rc = proc.poll()
                if rc is not None:
                    rec["server_died"] = rc  # exited on its own before we stopped it
                rec["port_freed"] = stop(proc, log, port)
            rec["log_problems"], rec["log_sample"] = log_problems(log_path)
            jsonl.write(json.dumps(rec) + "\n")
            jsonl.flush()
            rows.append(rec)
            h, i = rec.get("hello", {}), rec.get("item", {})
            print(
                f"run {run} {name:30s} hello {h.get('rps', 0):8.0f} req/s "
                f"p50 {h.get('p50_ms')} p99 {h.get('p99_ms')} | item {i.get('rps', 0):8.0f} req/s "
                f"p50 {i.get('p50_ms')} p99 {i.get('p99_ms')} | post "
                f"{(rec.get('post') or {}).get('rps', 0):6.0f} req/s | foreign cpu "
                f"{h.get('foreign_cpu')}/{i.get('foreign_cpu')} | ws "
                f"{(rec.get('ws') or {}).get('ok')} {(rec.get('ws') or {}).get('error', '')} "
                f"| POST check {(rec.get('post_check') or {}).get('ok')} "
                f"| log issues {rec['log_problems']} {rec.get('error', '')}"
                f"{' SERVER DIED rc=%s' % rec['server_died'] if 'server_died' in rec else ''}",
                flush=True,
            )
    jsonl.close()
    write_md(outdir, all_setups, rows, time.time() - t_start)
    leftovers = [p for p in ports.values() if not port_free(p)]
    print(f"results: {outdir}/results.md ; ports still listening: {leftovers or 'none'}")


def fmt(x, nd=0):
    return "–" if x is None else f"{x:,.{nd}f}"


def write_md(outdir, all_setups, rows, wall):
    lines = [
        f"# serving bench {outdir.name} (wall {wall:.0f} s, {RUNS} runs, wrk -t1 -c16 -d{DURATION})",
        "",
        "| setup | endpoint | req/s per run | median req/s | p50 ms per run | p99 ms per run | "
        "in flight | errors | ws echo |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, desc, *_ in all_setups:
        recs = sorted([r for r in rows if r["setup"] == name], key=lambda r: r["run"])
        if not recs:
            continue
        for ep in ENDPOINTS:
            res = [r.get(ep, {}) for r in recs]
            rps = [x.get("rps", 0) for x in res]
            med = (
                sorted(rps)[len(rps) // 2]
                if len(rps) % 2
                else sum(sorted(rps)[len(rps) // 2 - 1 : len(rps) // 2 + 1]) / 2
            )
            errs = sum(x.get("non2xx", 0) + x.get("sock_err", 0) for x in res)
            ws = "–"
            if ep == "hello" and any("ws" in r for r in recs):
                oks = [r.get("ws", {}) for r in recs]
                ws = (
                    "ok"
                    if all(o.get("ok") for o in oks)
                    else "FAIL: "
                    + "; ".join(str(o.get("error", o))[:80] for o in oks if not o.get("ok"))
                )
                if all(o.get("ok") for o in oks):
                    ws += " (rtt p50 " + "/".join(fmt(o.get("rtt_p50_ms"), 2) for o in oks) + " ms)"
                wl = [r.get("ws_loaded", {}) for r in recs]
                ws += (
                    "; under /item load: "
                    + ("ok" if all(o.get("ok") for o in wl) else "FAIL")
                    + " rtt p50/p99 "
                    + ", ".join(
                        f"{fmt(o.get('rtt_p50_ms'), 1)}/{fmt(o.get('rtt_p99_ms'), 1)}" for o in wl
                    )
                    + " ms"
                )
            lines.append(
                f"| {name} | /{ep} | {' / '.join(fmt(x) for x in rps)} | **{fmt(med)}** | "
                f"{' / '.join(fmt(x.get('p50_ms'), 1) for x in res)} | "
                f"{' / '.join(fmt(x.get('p99_ms'), 1) for x in res)} | "
                f"{' / '.join(fmt(x.get('in_flight'), 1) for x in res)} | {errs} | {ws} |"
            )
    lines += ["", "Setups:", ""] + [f"* `{n}`: {d}" for n, d, *_ in all_setups]
    died = [r for r in rows if "server_died" in r]
    if died:
        lines += ["", "Servers that exited on their own during the run:", ""]
        lines += [f"* {r['setup']} run {r['run']}: exit code {r['server_died']}" for r in died]
    probs = [r for r in rows if r.get("log_problems")]
    if probs:
        lines += ["", "Server log lines matching error/warning:", ""]
        for r in probs:
            lines.append(
                f"* {r['setup']} run {r['run']}: {r['log_problems']} lines, e.g. "
                f"`{(r['log_sample'] or [''])[0][:160]}`"
            )
    (outdir / "results.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
