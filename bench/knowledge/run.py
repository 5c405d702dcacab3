"""Knowledge benchmarks: portal suggestions over 100,000 articles and posts, the blog's pages
against the ticket page, and the feeds' cache.

    .venv/bin/python bench/knowledge/run.py                      # SQLite
    .venv/bin/python bench/knowledge/run.py --database postgres  # PostgreSQL (127.0.0.1:5432)
    .venv/bin/python bench/knowledge/run.py --quick              # 10,000 documents

1. Seed: half articles (80 % public), half published posts, each a title and a body of
   Spanish support vocabulary, with their search terms computed by the product's own
   `search.weighted_terms` (the same roots `save_article` stores), inserted in bulk.
2. Suggestions: a customer types five requests letter by letter; every third keystroke (the
   widget's 350 ms debounce at a typing speed of ~120 ms a key) asks `services.suggest` —
   target p99 < 50 ms.
3. Pages through Django's test client in this process: the blog's home, a post page, and a
   ticket's page for an agent — target: the blog at least as fast as the ticket page.
4. Feeds: the Atom feed cold (built) and warm (cached), and cold again after a publication.

A fresh VAR_DIR (SQLite, WAL) or a fresh PostgreSQL database each run, migrated with
`soporte migrate`; removed afterwards unless --keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"

WORDS = """
impresora impresoras imprimir impresión tóner papel atasco bandeja cartucho escáner
computadora equipo portátil laptop pantalla monitor teclado ratón ventilador calor
lenta lentitud reiniciar apagar encender arranque disco memoria procesador batería
cargador red internet wifi conexión módem router cable servidor servidores carpeta
compartida respaldo recuperar archivos perdidos contraseña usuario correo buzón spam
virus antivirus actualización windows linux programa instalar licencia office excel
word outlook navegador página error mensaje pantalla azul sonido audio micrófono cámara
videollamada teléfono extensión impresión color escanear documento factura sistema
base datos lento rápido seguridad bloqueo cuenta acceso permiso vpn remoto sucursal
""".split()

TAIL = [f"termino{n}" for n in range(20_000)]

TYPED = [
    "la impresora no imprime nada",
    "mi computadora esta muy lenta al encender",
    "no tengo internet en la sucursal",
    "olvide mi contraseña del correo",
    "el servidor no responde desde la mañana",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def summary(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
        f"p99 {percentile(times, 0.99):.1f} ms, max {max(times):.1f} ms (n={len(times)})"
    )


def timed(fn, repeat: int) -> list[float]:
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def seed(documents: int) -> tuple[object, object, str]:
    from django.db import transaction
    from django.utils import timezone

    from soporte.directory.models import Role, User
    from soporte.knowledge import search
    from soporte.knowledge.models import (
        Article,
        ArticleRoot,
        ArticleStatus,
        ArticleTerm,
        Post,
        PostStatus,
        PostTerm,
        Visibility,
    )

    rng = random.Random(18)
    now = timezone.now()
    author = User.objects.create_user(
        "blanca.herrera", first_name="Blanca", last_name="Herrera", role=Role.AGENT
    )
    started = time.perf_counter()
    half = documents // 2
    batch = 2000
    for kind in ("article", "post"):
        for start in range(0, half, batch):
            rows, terms = [], []
            for n in range(start, min(half, start + batch)):
                # A third of the words from the desk's vocabulary, the rest from a long tail
                # of 20,000 others: a real word is in roughly one document in ten.
                title = " ".join(rng.sample(WORDS, 3) + rng.sample(TAIL, 2)).capitalize()
                body = " ".join(rng.sample(WORDS, 10) + rng.sample(TAIL, 20)) + "."
                html = f"<p>{body}</p>"
                weights = search.weighted_terms(heading=title, body=body)
                if kind == "article":
                    public = rng.random() < 0.8
                    rows.append(
                        Article(
                            title=title, slug=f"a-{n}", body=body, body_html=html, owner=author,
                            visibility=Visibility.PUBLIC if public else Visibility.INTERNAL,
                            status=ArticleStatus.PUBLISHED, created_at=now, updated_at=now,
                            published_at=now, helpful_count=rng.randrange(20),
                        )
                    )  # fmt: skip
                else:
                    moment = now - dt.timedelta(minutes=n * 7)
                    rows.append(
                        Post(
                            title=title, slug=f"p-{n}", body=body, body_html=html, author=author,
                            excerpt=title, status=PostStatus.PUBLISHED, published_at=moment,
                            created_at=moment, updated_at=moment, reading_minutes=1,
                        )
                    )  # fmt: skip
                terms.append(weights)
            with transaction.atomic():
                model = Article if kind == "article" else Post
                created = model.objects.bulk_create(rows)
                if kind == "article":
                    ArticleTerm.objects.bulk_create(
                        ArticleTerm(article=row, term=t, weight=w, public=row.is_public)
                        for row, weights in zip(created, terms, strict=True)
                        for t, w in weights.items()
                    )
                else:
                    PostTerm.objects.bulk_create(
                        PostTerm(post=row, term=t, weight=w)
                        for row, weights in zip(created, terms, strict=True)
                        for t, w in weights.items()
                    )
    # The vocabulary of roots the suggestions expand an unfinished word over (as
    # `services.index_article` keeps it).
    ArticleRoot.objects.bulk_create(
        (
            ArticleRoot(term=t)
            for t in ArticleTerm.objects.values_list("term", flat=True).distinct()
        ),
        batch_size=2000,
        ignore_conflicts=True,
    )
    print(
        f"seeded {documents:,} documents ({ArticleTerm.objects.count():,} article terms, "
        f"{PostTerm.objects.count():,} post terms) in {time.perf_counter() - started:.0f} s"
    )
    return author, now, Post.objects.order_by("-published_at").values_list("slug", flat=True)[0]


def seeded() -> tuple[object, object, str]:
    from django.utils import timezone

    from soporte.directory.models import User
    from soporte.knowledge.models import ArticleTerm, Post

    print(f"reused the seeded database ({ArticleTerm.objects.count():,} article terms)")
    author = User.objects.get(username="blanca.herrera")
    slug = Post.objects.order_by("-published_at").values_list("slug", flat=True)[0]
    return author, timezone.now(), slug


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # PostgreSQL: VACUUM too, as autovacuum does after a bulk load: until the visibility
        # map is set, an index-only scan still visits the heap (the suggestions' statement
        # took 35 ms with 400 heap fetches per root, 0.4 ms after VACUUM).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def bench_suggestions() -> None:
    from soporte.knowledge import services

    times, cpu = [], []
    for _ in range(3):
        for text in TYPED:
            for end in range(3, len(text) + 1, 3):
                started, started_cpu = time.perf_counter(), time.process_time()
                services.suggest(actor=None, text=text[:end])
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
    print(f"suggestions while typing (services.suggest): {summary(times)}")
    print(f"  the same, this process's CPU time: {summary(cpu)}")


def bench_pages(author, now, slug: str, repeat: int) -> None:
    from django.test import Client

    from soporte.directory.models import Agent, Organisation, Person, Presence
    from soporte.tickets import services as tickets
    from soporte.tickets.models import Channel

    org, _ = Organisation.objects.get_or_create(name="Ferretería Anáhuac")
    person = Person.objects.create(organisation=org, full_name="Roberto Sánchez")
    Agent.objects.get_or_create(user=author, defaults={"level": 1, "presence": Presence.AVAILABLE})
    ticket = tickets.open_ticket(
        actor=author,
        data=tickets.NewTicket(
            organisation=org, requester=person, subject="La impresora no imprime",
            description="Luz ámbar.", channel=Channel.PHONE,
        ),
        now=now,
    )  # fmt: skip
    for n in range(10):
        tickets.add_note(ticket=ticket, author=author, body=f"Nota {n}", now=now)
    reader, agent = Client(), Client()
    agent.force_login(author)

    def get(client, url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    rows = [
        ("blog home /blog/", reader, "/blog/"),
        ("a post /blog/<slug>/", reader, f"/blog/{slug}/"),
        ("help centre search /ayuda/?q=…", reader, "/ayuda/?q=impresora+no+imprime"),
        ("ticket page /tickets/<n>/ (agent)", agent, f"/tickets/{ticket.number}/"),
    ]
    for label, client, url in rows:
        print(f"{label}: {summary(timed(lambda c=client, u=url: get(c, u), repeat))}")
    # The blog's pages are kept for anonymous readers until the next publication or comment:
    # the same pages rebuilt every time (the first reader after a publication).
    from django.core.cache import cache

    for label, client, url in rows[:2]:
        rebuilt = timed(lambda c=client, u=url: (cache.clear(), get(c, u)), repeat)
        print(f"{label}, rebuilt (cache cleared before each): {summary(rebuilt)}")
        fresh = iter(range(10**6))
        rebuilt = timed(lambda c=client, u=url: get(c, f"{u}?v={next(fresh)}"), repeat)
        print(
            f"{label}, page rebuilt (a URL not kept yet; count, archive kept): {summary(rebuilt)}"
        )


def bench_feeds(author, now) -> None:
    from django.core.cache import cache
    from django.test import Client

    from soporte.knowledge import blog
    from soporte.knowledge.models import PostStatus

    client = Client()
    cache.clear()
    cold = timed(lambda: (cache.clear(), client.get("/blog/atom/")), 5)
    warm = timed(lambda: client.get("/blog/atom/"), 30)
    print(f"atom feed cold (built): {summary(cold)}")
    print(f"atom feed warm (cached): {summary(warm)}")
    client.get("/blog/atom/")
    blog.save_post(
        actor=author, title="Recién publicada", body="x", status=PostStatus.PUBLISHED,
        now=now + dt.timedelta(minutes=1),
    )  # fmt: skip
    fresh = client.get("/blog/atom/").content.decode()
    print(f"after a publication the feed shows it: {'Recién publicada' in fresh}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        help="seed once into DIR (SQLite) or the database soporte_knowledge_bench_kept "
        "(PostgreSQL) and keep it: later runs with the same DIR skip the seed",
    )
    args = parser.parse_args()
    if args.quick:
        args.documents, args.repeat = 10_000, 10

    reused = False
    if args.reuse:
        var_dir = Path(args.reuse)
        reused = (var_dir / "seeded").exists()
        var_dir.mkdir(parents=True, exist_ok=True)
        args.keep = True
    else:
        var_dir = Path(tempfile.mkdtemp(prefix="soporte-bench-knowledge-"))
    database_url = None
    if args.database == "postgres":
        name = (
            "soporte_knowledge_bench_kept"
            if args.reuse
            else f"soporte_knowledge_bench_{os.getpid()}"
        )
        database_url = f"{PG_SERVER}/{name}"
        if subprocess.run([sys.executable, "-m", "soporte.lib.pgcheck", database_url]).returncode:
            return 1
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="soporte.settings", VAR_DIR=str(var_dir))
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    os.environ.clear()
    os.environ.update(env)
    print(f"# knowledge bench: {args.documents:,} articles and posts, {args.database}")
    print(
        f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load {os.getloadavg()}"
    )
    subprocess.run(
        [sys.executable, "-m", "soporte.cli", "migrate", "--verbosity", "0"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
    )
    import django

    django.setup()
    try:
        if reused:
            author, now, slug = seeded()
            if args.database == "postgres":
                analyse()
        else:
            author, now, slug = seed(args.documents)
            analyse()
            if args.reuse:
                (var_dir / "seeded").write_text("")
        bench_suggestions()
        bench_pages(author, now, slug, args.repeat)
        bench_feeds(author, now)
        print(f"# load at the end {os.getloadavg()}")
    finally:
        from django.db import connection

        connection.close()
        if not args.keep:
            shutil.rmtree(var_dir, ignore_errors=True)
            if database_url:
                import psycopg

                with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{database_url.rsplit("/", 1)[1]}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
