"""Per-request cost of each benchmarked page inside one process, through Django's WSGI handler.

    python bench/tickets/handler_bench.py [--quick] [-n 300] [--rounds 5] [--pages plain,mine,...]
        [--mixed] [--cprofile PAGE]

Closer to the server than the test client (which copies every template context for its
`response.context` and so inflates template-heavy pages): the same WSGIHandler and middleware
the server runs, the cookies a signed-in browser sends (session and CSRF: without the CSRF
cookie every page would mint a new secret and set it), a fresh environ per request. Prints the
median and mean milliseconds per request, the body size and the ratio to the plain view; the
server's own per-request overhead (granian, a2wsgi) comes on top of every page equally.

By default each round runs one page `-n` times in a row, so the interpreter's and the CPU's
caches hold that page's code and data; `--mixed` alternates the pages request by request,
which is closer to a desk where agents open queues and tickets in turn (and shows how much of
a page's cost is the CPU's caches: RESULTS.md, "Where the server's time goes").
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--var-dir", default=None)
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds, best kept")
    parser.add_argument("--pages", default="plain,mine,all,level,detail")
    parser.add_argument("--mixed", action="store_true", help="alternate pages per request")
    parser.add_argument("--cprofile", default=None, help="page name to profile")
    args = parser.parse_args()
    var_dir = args.var_dir or str(
        ROOT / "bench" / ".data" / ("tickets-quick" if args.quick else "tickets-1m")
    )
    os.environ["VAR_DIR"] = var_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.tickets.bench_settings"
    sys.path.insert(0, str(ROOT))
    import warnings

    warnings.simplefilter("ignore")
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import Client

    client = Client()
    assert client.login(username="blanca.herrera", password="soporte-demo")
    # A page sets the CSRF cookie, as the browser's first page after signing in does.
    assert client.get("/tickets/").status_code == 200
    assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME} <= set(client.cookies)
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in client.cookies.items())
    with connection.cursor() as cur:
        n = cur.execute("SELECT max(id) FROM tickets_ticket").fetchone()[0]
    rng = random.Random(7)
    pages = {
        "plain": lambda: f"/bench/plain/{rng.randint(1, n)}",
        "signed-in": lambda: "/bench/signed-in",
        "shell": lambda: "/bench/shell",
        "mine": lambda: "/tickets/?cola=mis-tickets",
        "all": lambda: "/tickets/?cola=todos",
        "level": lambda: "/tickets/?cola=sin-asignar",
        "detail": lambda: f"/tickets/{rng.randint(1, n)}/",
        "search": lambda: "/tickets/?q=impresora",
    }
    handler = WSGIHandler()

    def call(path: str) -> tuple[int, int]:
        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        status: list[str] = []
        body = b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        return int(status[0].split()[0]), len(body)

    names = args.pages.split(",")
    sizes: dict[str, int] = {}
    for name in names:
        for _ in range(20):
            code, sizes[name] = call(pages[name]())
            assert code == 200, (name, code)
    # Rounds interleave the pages, so a slow spell of the machine (a shared VM) falls on all
    # of them; each page's figure is its best round's median.
    best: dict[str, tuple[float, float, float]] = {}
    for _round in range(args.rounds):
        order = names * args.n if args.mixed else [name for name in names for _ in range(args.n)]
        times: dict[str, list[float]] = {name: [] for name in names}
        cpu: dict[str, list[float]] = {name: [] for name in names}
        for name in order:
            path = pages[name]()
            t0, c0 = time.perf_counter(), time.process_time()
            call(path)
            times[name].append((time.perf_counter() - t0) * 1000)
            cpu[name].append((time.process_time() - c0) * 1000)
        for name in names:
            # CPU time per request is steadier than wall time when other work shares the machine.
            found = (
                statistics.median(cpu[name]),
                statistics.median(times[name]),
                statistics.mean(cpu[name]),
            )
            if name not in best or found[0] < best[name][0]:
                best[name] = found
    results = {name: best[name][0] for name in names}
    for name in names:
        cpu_median, wall_median, cpu_mean = best[name]
        ratio = results["plain"] / cpu_median if "plain" in results else float("nan")
        print(
            f"{name:9s} wall median {wall_median:6.2f} ms"
            f"  CPU median {cpu_median:6.2f} ms  mean {cpu_mean:6.2f} ms"
            f"  {sizes[name] / 1024:5.1f} KB  plain/page (CPU) {ratio:4.2f}"
        )
    if args.cprofile:
        make = pages[args.cprofile]
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(50):
            call(make())
        prof.disable()
        stats = pstats.Stats(prof)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
