"""Every page a demo persona reaches from the menus, timed on the server (issue 21, item 6).

    python bench/pages/run.py                 # bench/.data/pages: loads the demo the first time
    python bench/pages/run.py -n 7 --limit 300 --var-dir /tmp/pages

Loads the demo desk exactly as `soporte demo` does (four weeks of call history, the workshop)
into its own SQLite database under --var-dir, once. Then, for one login of each demo group
(administration, supervision, an agent of each level, a customer of each organisation), it
signs in, reads the menu of the home page and the section menus (`<nav>`) of each menu page,
adds the first ticket and the first call linked from the queue and the call list (opening a
ticket is the page people open most), and times every page found: the same WSGIHandler and
middleware the server runs, with the cookies a signed-in browser sends, warm (two requests
first), `-n` requests per page; the figure is the median wall time and the median CPU time.

Prints the pages slowest first, the load average beside the figures, and PASS when no page
takes over --limit ms (CPU median: steadier than wall time on a shared machine).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


class Links(HTMLParser):
    """The hrefs inside `<ul class="menu">` and `<nav>` elements, and every href of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.menu: list[str] = []
        self.all: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "nav" or (tag == "ul" and "menu" in (found.get("class") or "").split()):
            self.depth += 1
        if tag == "a" and found.get("href"):
            href = str(found["href"])
            self.all.append(href)
            if self.depth:
                self.menu.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("nav", "ul") and self.depth:
            self.depth -= 1


def _links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


def _internal(href: str) -> str | None:
    href = href.split("#")[0]
    if not href.startswith("/") or href.startswith("//"):
        return None
    if re.search(r"/(salir|logout|exportar|export|pdf|etiqueta|descargar)\b", href):
        return None  # downloads and sign-out are not pages
    if href.startswith(("/static/", "/media/", "/admin/", "/api/")):
        return None
    return href


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var-dir", default=str(ROOT / "bench" / ".data" / "pages"))
    parser.add_argument("-n", type=int, default=5, help="timed requests per page")
    parser.add_argument("--limit", type=float, default=300.0, help="ms per page (CPU median)")
    args = parser.parse_args()
    os.environ["VAR_DIR"] = args.var_dir
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soporte.settings")
    Path(args.var_dir).mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import warnings

    warnings.simplefilter("ignore")
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import Client

    from soporte import demo
    from soporte.directory.models import User
    from soporte.lib import clock

    call_command("migrate", verbosity=0)
    if demo.database_is_empty():
        started = time.perf_counter()
        print("Cargando la demostración…", flush=True)
        demo.load_demo(now=clock.now(), history_weeks=demo.HISTORY_WEEKS, workshop=True)
        print(f"  cargada en {time.perf_counter() - started:.0f} s", flush=True)

    # One login per group: each role and level, each customer organisation.
    personas: dict[str, str] = {}
    for login in demo.demo_logins():
        personas.setdefault(login.group, login.username)

    handler = WSGIHandler()

    def call(path: str, cookie: str) -> tuple[int, int, float, float]:
        route, _, query = path.partition("?")
        environ: dict[str, Any] = {
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
        t0, c0 = time.perf_counter(), time.process_time()
        body = b"".join(handler(environ, lambda s, h, *a: status.append(s)))
        wall, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        return int(status[0].split()[0]), len(body), wall, cpu

    rows: list[tuple[float, float, str, str, int]] = []
    skipped: list[str] = []
    for group, username in personas.items():
        client = Client()
        # Signed in as the sign-in page would (django-axes wants the request to authenticate).
        client.force_login(User.objects.get(username=username))
        home = client.get("/", follow=True)
        assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME} <= set(client.cookies)
        cookie = "; ".join(f"{n}={m.value}" for n, m in client.cookies.items())
        pages: list[str] = ["/"]
        for href in _links(home.content.decode()).menu:
            if (path := _internal(href)) and path not in pages:
                pages.append(path)
        for menu_page in list(pages[1:]):
            response = client.get(menu_page, follow=True)
            if response.status_code != 200:
                continue
            # A menu entry that redirects (Reportes → its first report) is timed where it lands.
            for target, _code in response.redirect_chain:
                if (path := _internal(target)) and path not in pages:
                    pages.append(path)
            html = response.content.decode()
            found = _links(html)
            for href in found.menu:
                if (path := _internal(href)) and path not in pages:
                    pages.append(path)
            # The first ticket of a queue and the first call of the list: the pages opened most.
            for pattern in (
                r"^/tickets/\d+/$",
                r"^/tickets/mis-solicitudes/\d+/$",
                r"^/llamadas/\d+/$",
            ):
                first = next((h for h in found.all if re.match(pattern, h)), None)
                if first and first not in pages:
                    pages.append(first)
        for path in pages:
            code, size, _w, _c = call(path, cookie)
            if code != 200:
                skipped.append(f"{path} ({group}): {code}")
                continue
            call(path, cookie)  # warm
            walls, cpus = [], []
            for _ in range(args.n):
                _code, _size, wall, cpu = call(path, cookie)
                walls.append(wall)
                cpus.append(cpu)
            rows.append((statistics.median(cpus), statistics.median(walls), group, path, size))
        print(f"  {group} ({username}): {len(pages)} páginas", flush=True)

    load = os.getloadavg()
    print(f"\nload average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; -n {args.n}")
    print(f"{'CPU ms':>8} {'wall ms':>8} {'KB':>6}  page (persona)")
    for cpu, wall, group, path, size in sorted(rows, reverse=True):
        flag = "  <-- over" if cpu > args.limit else ""
        print(f"{cpu:8.1f} {wall:8.1f} {size / 1024:6.1f}  {path} ({group}){flag}")
    for line in skipped:
        print(f"not timed (not a 200): {line}")
    over = [r for r in rows if r[0] > args.limit]
    tickets = [r for r in rows if re.match(r"^/tickets/\d+/$", r[3])]
    if tickets:
        print(f"opening a ticket: {max(r[0] for r in tickets):.1f} ms CPU (slowest persona)")
    print(
        f"{'PASS' if not over else 'FAIL'}: {len(rows)} pages, {len(over)} over {args.limit:g} ms"
    )
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
