"""Build results.md from one or more results.jsonl files written by run.py.

Usage: python report.py RESULT_DIR [RESULT_DIR ...]  -> writes RESULT_DIR[0]/report.md and prints it

Besides req/s it reports the server's CPU cost per request (CPU seconds used by
the server's process group / completed requests), which is much less sensitive
to other work on this shared 2-core VM than req/s is, and the share of the
machine's CPU that *other* processes used during each run ("foreign").
"""

import json
import os
import statistics
import sys
from pathlib import Path

NCPU = os.cpu_count() or 1
QUIET = 0.15  # a run is "quiet" when other processes used < 15 % of the machine


def load(dirs):
    rows = []
    for d in dirs:
        for line in (Path(d) / "results.jsonl").read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                r["_src"] = Path(d).name
                rows.append(r)
    return rows


def fmt(x, nd=0):
    return "–" if x is None else f"{x:,.{nd}f}"


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def cpu_ms(res):
    if not res.get("rps") or res.get("server_cpu") is None:
        return None
    return res["server_cpu"] * NCPU * 1000 / res["rps"]


def table(rows):
    order = []
    for r in rows:
        if r["setup"] not in order:
            order.append(r["setup"])
    order.sort()
    out = [
        "| setup | endpoint | req/s per run (run order) | median req/s | median req/s, quiet runs (n) "
        "| p50 ms, median | p99 ms per run | server CPU ms/request, median | foreign CPU % per run "
        "| errors | POST bodies intact | ws echo (idle / under /item load) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in order:
        recs = [r for r in rows if r["setup"] == name]
        for ep in [e for e in ("hello", "item", "post") if any(e in r for r in recs)]:
            res = [r.get(ep) or {} for r in recs]
            rps = [x.get("rps") for x in res]
            quiet = [
                x.get("rps")
                for x in res
                if x.get("foreign_cpu") is not None and x["foreign_cpu"] < QUIET
            ]
            errs = sum(x.get("non2xx", 0) + x.get("sock_err", 0) for x in res)
            foreign = " / ".join(
                fmt(100 * x["foreign_cpu"]) if x.get("foreign_cpu") is not None else "?"
                for x in res
            )
            ws = "–"
            if ep == "hello" and any("ws" in r for r in recs):
                idle = [r.get("ws", {}) for r in recs]
                load = [r.get("ws_loaded", {}) for r in recs]
                ok_idle = sum(bool(o.get("ok")) for o in idle)
                ok_load = sum(bool(o.get("ok")) for o in load)
                ws = (
                    f"{ok_idle}/{len(idle)} ok, rtt p50 {fmt(med([o.get('rtt_p50_ms') for o in idle]), 2)} ms"
                    f" / {ok_load}/{len(load)} ok, rtt p50 {fmt(med([o.get('rtt_p50_ms') for o in load]), 1)}"
                    f" p99 {fmt(med([o.get('rtt_p99_ms') for o in load]), 1)} ms"
                )
            pc = [r["post_check"] for r in recs if "post_check" in r]
            post_ok = (
                "–"
                if ep != "hello" or not pc
                else f"{sum(bool(c.get('ok')) for c in pc)}/{len(pc)}"
            )
            out.append(
                f"| {name} | /{ep} | {' / '.join(fmt(x) for x in rps)} | **{fmt(med(rps))}** | "
                f"{fmt(med(quiet))} ({len(quiet)}) | {fmt(med([x.get('p50_ms') for x in res]), 1)} | "
                f"{' / '.join(fmt(x.get('p99_ms'), 0) for x in res)} | "
                f"{fmt(med([cpu_ms(x) for x in res]), 3)} | {foreign} | {errs} | {post_ok} | {ws} |"
            )
    return out


def main(dirs):
    rows = load(dirs)
    lines = [
        f"# serving bench: {', '.join(Path(d).name for d in dirs)} ({len(rows)} server starts)",
        "",
    ]
    lines += table(rows)
    died = [r for r in rows if "server_died" in r]
    if died:
        lines += ["", "Servers that exited on their own:"]
        lines += [f"* {r['setup']} run {r['run']}: exit code {r['server_died']}" for r in died]
    text = "\n".join(lines) + "\n"
    (Path(dirs[0]) / "report.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
