"""Per-request cost of each benchmarked page inside one process, through Django's WSGI handler.

    python bench/tickets/handler_bench.py [--quick] [-n 300] [--rounds 5] [--pages plain,mine,...]
        [--cprofile PAGE]

Closer to the server than the test client (which copies every template context for its
`response.context` and so inflates template-heavy pages): the same WSGIHandler and middleware
the server runs, a logged-in session cookie, a fresh environ per request. Prints the median and
mean milliseconds per request, the body size and the ratio to the plain view; the server's own
per-request overhead (granian, a2wsgi) comes on top of every page equally.
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
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
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
        for name in names:
            make = pages[name]
            times = []
            cpu = []
            for _ in range(args.n):
                path = make()
                t0, c0 = time.perf_counter(), time.process_time()
                call(path)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            # CPU time per request is steadier than wall time when other work shares the machine.
            found = (statistics.median(cpu), statistics.median(times), statistics.mean(cpu))
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
