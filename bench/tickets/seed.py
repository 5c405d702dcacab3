"""Seed a big Soporte desk for the tickets benchmark: 1,000,000 tickets and 3,000,000 notes.

    python bench/tickets/seed.py            # 1M tickets, 3M notes -> bench/.data/tickets-1m/
    python bench/tickets/seed.py --quick    # 50k tickets, 150k notes -> bench/.data/tickets-quick/
    python bench/tickets/seed.py --tickets 200000

A fresh VAR_DIR, `soporte migrate`, `soporte demo` (users, organisations, agents, logbooks),
then raw sqlite3 `executemany` in big transactions. The FTS5 insert triggers are dropped
during the load; afterwards both FTS indexes are rebuilt and the triggers recreated from
soporte.tickets.search.SQLITE_SETUP (the product's own list, so they are exactly the same).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT / "bench" / ".data"
SOPORTE = ROOT / ".venv" / "bin" / "soporte"

# --- vocabulary -----------------------------------------------------------------------------
# "impresora" is chosen as the device in ~30 % of tickets (it appears in subject and/or
# description), the common-word search target.
DEVICES = [
    ("impresora", 30),
    ("computadora", 14),
    ("laptop", 10),
    ("monitor", 6),
    ("teléfono", 6),
    ("servidor", 5),
    ("router", 5),
    ("switch", 4),
    ("escáner", 4),
    ("nobreak", 3),
    ("proyector", 3),
    ("lector de código de barras", 3),
    ("terminal punto de venta", 4),
    ("tableta", 3),
]
BRANDS = ["HP", "Lenovo", "Dell", "Epson", "Brother", "Cisco", "TP-Link", "Samsung", "Acer"]
PLACES = [
    "recepción",
    "almacén",
    "caja 2",
    "compras",
    "dirección",
    "consultorio 3",
    "sala de juntas",
    "contabilidad",
    "planta alta",
    "sucursal Coyoacán",
]
PROBLEMS = [
    "no enciende",
    "no imprime",
    "está muy lenta",
    "se desconecta de la red",
    "marca error al iniciar",
    "hace un ruido extraño",
    "no reconoce el usuario",
    "se reinicia sola",
    "muestra pantalla azul",
    "no tiene conexión a internet",
    "atasca el papel",
    "no sincroniza el correo",
    "pide actualizar controladores",
    "se congela al abrir el sistema",
]
DETAILS = [
    "Desde esta mañana el usuario reporta el problema.",
    "Ya se intentó reiniciar el equipo sin éxito.",
    "El problema aparece después de la última actualización de Windows.",
    "Afecta a todo el personal del área.",
    "Urge porque se necesita para facturar hoy.",
    "El equipo tiene garantía vigente con el proveedor.",
    "Se cambió el cable de red y sigue igual.",
    "El cliente envía una foto del mensaje de error.",
    "Ocurre de forma intermitente, dos o tres veces al día.",
    "No se ha movido el equipo de lugar.",
    "El antivirus muestra una alerta de seguridad.",
    "La contraseña del usuario caducó ayer.",
]
NOTE_LINES = [
    "Se contactó al usuario por teléfono para revisar el equipo.",
    "Se realizó conexión remota y se revisó el registro de eventos.",
    "Se reinstaló el controlador y se hizo una prueba con éxito.",
    "Se solicitó al cliente una fotografía del error.",
    "El cliente confirma que el problema quedó resuelto.",
    "Se programó visita presencial para mañana por la mañana.",
    "Se escaló al proveedor por garantía; esperamos respuesta.",
    "Se limpió el equipo y se cambiaron consumibles.",
    "Se actualizó el firmware a la última versión disponible.",
    "Pendiente de que el usuario pruebe y confirme.",
    "Se reemplazó la pieza dañada y se documentó en la bitácora.",
    "Se configuró de nuevo la cola de impresión del equipo.",
]
CHANNELS = ["phone", "in_person", "portal", "email", "remote"]
KINDS = ["on_site", "distance", "aerial"]
PRIORITIES = [("low", 20), ("normal", 55), ("high", 20), ("urgent", 5)]
# ~20 % open; "new" tickets are unassigned.
STATUSES = [
    ("new", 3),
    ("assigned", 5),
    ("in_progress", 6),
    ("waiting_customer", 4),
    ("escalated", 2),
    ("resolved", 10),
    ("closed", 65),
    ("cancelled", 5),
]
OPEN = {"new", "assigned", "in_progress", "waiting_customer", "escalated"}


def weighted(pairs: list[tuple[str, int]]) -> list[str]:
    return [value for value, weight in pairs for _ in range(weight)]


def stamp(seconds: float) -> str:
    """Django's SQLite datetime format (UTC, naive text)."""
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def text_pools(rng: random.Random, size: int) -> tuple[list[tuple[str, str, str]], list[str]]:
    devices = weighted(DEVICES)
    tickets = []
    for _ in range(size):
        device = rng.choice(devices)
        brand = rng.choice(BRANDS)
        problem = rng.choice(PROBLEMS)
        place = rng.choice(PLACES)
        subject = f"{device.capitalize()} de {place} {problem}"
        description = (
            f"La {device} {brand} ubicada en {place} {problem}. "
            + " ".join(rng.sample(DETAILS, 3))
            + f" Número de inventario {rng.randint(10000, 99999)}."
        )
        tickets.append((subject, description, f"{device.capitalize()} {brand}"))
    notes = [" ".join(rng.sample(NOTE_LINES, rng.randint(1, 3))) for _ in range(size)]
    return tickets, notes


def store_sla_snapshots(db: sqlite3.Connection, chunk: int = 2000) -> int:
    """What the services keep on every ticket (tickets/sla.py `Snapshot`), computed by the
    product's own functions for the open tickets loaded behind the ORM's back. History is
    taken as already announced: `check_at` only counts thresholds still to come."""
    from django.conf import settings

    from soporte.lib import clock
    from soporte.tickets import sla
    from soporte.tickets.models import Ticket

    now = clock.now()
    calendar = sla.desk_calendar(settings.TIME_ZONE)
    ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM tickets_ticket WHERE status IN "
            "('new','assigned','in_progress','waiting_customer','escalated') ORDER BY id"
        )
    ]
    sql = """UPDATE tickets_ticket SET sla_target=?, sla_due_at=?, sla_warn_at=?, sla_paused=?,
        sla_check_at=? WHERE id=?"""

    def stamp_or_none(value: dt.datetime | None) -> str | None:
        # Django's own text for a datetime on SQLite (no fraction when there is none).
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ") if value else None

    for first in range(0, len(ids), chunk):
        tickets = list(Ticket.objects.filter(pk__in=ids[first : first + chunk]))
        rows = []
        for ticket in tickets:
            clocks = sla.ticket_clocks(ticket, calendar=calendar, now=now, warn=True)
            snap = sla.snapshot(ticket, clocks, after=now)
            rows.append(
                (
                    snap.target,
                    stamp_or_none(snap.due_at),
                    stamp_or_none(snap.warn_at),
                    int(snap.paused),
                    stamp_or_none(snap.check_at),
                    ticket.pk,
                )
            )
        db.execute("BEGIN")
        db.executemany(sql, rows)
        db.execute("COMMIT")
    return len(ids)


def snapshots_only(var_dir: Path) -> None:
    """Bring an existing database up to date (`soporte migrate`) and store its snapshots."""
    env = dict(os.environ, VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="soporte.settings")
    run([str(SOPORTE), "migrate", "-v0"], env)
    sys.path.insert(0, str(ROOT))
    os.environ.update(VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="soporte.settings")
    import django

    django.setup()
    db = sqlite3.connect(var_dir / "soporte.sqlite3", isolation_level=None)
    t0 = time.perf_counter()
    n_open = store_sla_snapshots(db)
    print(f"SLA snapshots of {n_open:,} open tickets: {time.perf_counter() - t0:.1f} s")


def run(cmd: list[str], env: dict[str, str]) -> None:
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="50k tickets (smoke run)")
    parser.add_argument("--tickets", type=int, default=None)
    parser.add_argument("--notes-per-ticket", type=int, default=3)
    parser.add_argument("--var-dir", default=None)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run ANALYZE at the end (the product never does; off by default)",
    )
    parser.add_argument(
        "--snapshots-only",
        action="store_true",
        help="migrate an existing database and (re)compute its SLA snapshots, nothing else",
    )
    args = parser.parse_args()
    if args.snapshots_only:
        existing = (
            Path(args.var_dir)
            if args.var_dir
            else DATA / ("tickets-quick" if args.quick else "tickets-1m")
        )
        snapshots_only(existing)
        return
    n_tickets = args.tickets or (50_000 if args.quick else 1_000_000)
    name = "tickets-quick" if args.quick and not args.tickets else f"tickets-{n_tickets}"
    if n_tickets == 1_000_000:
        name = "tickets-1m"
    var_dir = Path(args.var_dir) if args.var_dir else DATA / name
    if var_dir.exists():
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True)
    env = dict(os.environ, VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="soporte.settings")
    timings: list[tuple[str, float]] = []

    t0 = time.perf_counter()
    run([str(SOPORTE), "migrate", "-v0"], env)
    timings.append(("soporte migrate", time.perf_counter() - t0))
    t0 = time.perf_counter()
    run([str(SOPORTE), "demo"], env)
    timings.append(("soporte demo", time.perf_counter() - t0))

    db_path = var_dir / "soporte.sqlite3"
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-2000000")  # 2 GB page cache while loading
    db.execute("PRAGMA temp_store=MEMORY")

    agents = db.execute(
        "SELECT a.id, a.user_id, a.level FROM directory_agent a "
        "JOIN directory_user u ON u.id = a.user_id WHERE u.role = 'agent'"
    ).fetchall()
    by_level: dict[int, list[tuple[int, int]]] = {}
    for agent_id, user_id, level in agents:
        by_level.setdefault(level, []).append((agent_id, user_id))
    people = db.execute("SELECT id, organisation_id FROM directory_person").fetchall()
    areas = [row[0] for row in db.execute("SELECT id FROM directory_area")]
    creator = db.execute("SELECT id FROM directory_user WHERE username='supervisor'").fetchone()[0]

    rng = random.Random(20261124)  # noqa: S311 - benchmark data, not security
    ticket_texts, note_texts = text_pools(rng, 20_000)
    statuses = weighted(STATUSES)
    priorities = weighted(PRIORITIES)

    # Drop the FTS insert triggers during the load; rebuilt + recreated afterwards.
    db.execute("DROP TRIGGER IF EXISTS tickets_ticket_fts_ai")
    db.execute("DROP TRIGGER IF EXISTS tickets_note_fts_ai")

    now = time.time()
    span = 730 * 86400
    start = now - span
    ticket_sql = """INSERT INTO tickets_ticket (id, number, channel, direction, support_kind,
        remote_tool, remote_session_id, auxiliary_acknowledged_at, level, priority, status,
        subject, description, equipment, created_at, updated_at, first_response_at,
        last_update_at, resolved_at, closed_at, chargeable, approval, area_id, assignee_id,
        created_by_id, decision_maker_id, organisation_id, requester_id)
        VALUES (?,?,?,?,?,'','',NULL,?,?,?,?,?,?,?,?,?,?,?,?,0,'not_required',?,?,?,NULL,?,?)"""
    note_sql = """INSERT INTO tickets_note (id, body, internal, created_at, author_id, ticket_id)
        VALUES (?,?,?,?,?,?)"""

    t_tickets = t_notes = 0.0
    t_gen = 0.0
    # The demo already opened some tickets (and its calls wrote notes): continue after them.
    base_id, base_number = db.execute(
        "SELECT coalesce(max(id), 0), coalesce(max(number), 0) FROM tickets_ticket"
    ).fetchone()
    note_id = db.execute("SELECT coalesce(max(id), 0) FROM tickets_note").fetchone()[0]
    loaded = 0
    batch = args.batch
    for first in range(1, n_tickets + 1, batch):
        g0 = time.perf_counter()
        ticket_rows = []
        note_rows = []
        for tid in range(first, min(first + batch, n_tickets + 1)):
            created = start + (tid - 1) * span / n_tickets + rng.random() * 60
            status = rng.choice(statuses)
            level = rng.choice((1, 1, 1, 1, 2, 2, 3, 4))
            if status == "new":
                assignee = None
                assignee_user = creator
            else:
                assignee, assignee_user = rng.choice(by_level[level])
            if status in OPEN:
                # Open work moved recently.
                updated = max(created, now - rng.random() * 20 * 86400)
            else:
                updated = min(now, created + rng.random() * 7 * 86400)
            first_resp = None if status == "new" else stamp(created + rng.random() * 7200)
            resolved = stamp(updated) if status in ("resolved", "closed") else None
            closed = stamp(updated) if status == "closed" else None
            person_id, org_id = rng.choice(people)
            subject, description, equipment = rng.choice(ticket_texts)
            ticket_rows.append(
                (
                    base_id + tid,
                    base_number + tid,
                    rng.choice(CHANNELS),
                    "reactive",
                    rng.choice(KINDS),
                    level,
                    rng.choice(priorities),
                    status,
                    subject,
                    description,
                    equipment,
                    stamp(created),
                    stamp(updated),
                    first_resp,
                    stamp(updated) if first_resp else None,
                    resolved,
                    closed,
                    rng.choice(areas),
                    assignee,
                    creator,
                    org_id,
                    person_id,
                )
            )
            for k in range(args.notes_per_ticket):
                note_id += 1
                at = created + (updated - created) * (k + 1) / (args.notes_per_ticket + 1)
                note_rows.append(
                    (
                        note_id,
                        rng.choice(note_texts),
                        1 if rng.random() < 0.3 else 0,
                        stamp(at),
                        assignee_user,
                        base_id + tid,
                    )
                )
        t_gen += time.perf_counter() - g0
        w0 = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(ticket_sql, ticket_rows)
        db.execute("COMMIT")
        w1 = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(note_sql, note_rows)
        db.execute("COMMIT")
        w2 = time.perf_counter()
        t_tickets += w1 - w0
        t_notes += w2 - w1
        loaded += len(ticket_rows)
        print(
            f"  {loaded:>9,} tickets, {note_id:>9,} notes  "
            f"(insert so far: tickets {t_tickets:.1f} s, notes {t_notes:.1f} s, gen {t_gen:.1f} s)",
            flush=True,
        )
    timings.append(("generate rows (Python)", t_gen))
    timings.append((f"INSERT {n_tickets:,} tickets", t_tickets))
    timings.append((f"INSERT {note_id:,} notes", t_notes))

    db.execute("BEGIN")
    db.execute(
        "INSERT INTO tickets_sequence (name, value) VALUES ('ticket', ?) "
        "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        (base_number + n_tickets,),
    )
    db.execute("COMMIT")

    # The product's own FTS setup: CREATE ... IF NOT EXISTS (tables exist), triggers
    # recreated exactly as defined, and the two 'rebuild' statements.
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soporte.settings")
    os.environ["VAR_DIR"] = str(var_dir)
    import django

    django.setup()
    from soporte.tickets.search import SQLITE_SETUP

    for statement in SQLITE_SETUP:
        s0 = time.perf_counter()
        db.execute("BEGIN")
        db.execute(statement)
        db.execute("COMMIT")
        label = " ".join(statement.split()[:6])
        if "rebuild" in statement:
            timings.append((label, time.perf_counter() - s0))
    if args.analyze:
        t0 = time.perf_counter()
        db.execute("ANALYZE")
        timings.append(("ANALYZE", time.perf_counter() - t0))
    t0 = time.perf_counter()
    n_open = store_sla_snapshots(db)
    timings.append((f"SLA snapshots of {n_open:,} open tickets", time.perf_counter() - t0))
    db.execute("PRAGMA journal_mode=WAL")
    db.close()

    triggers = sqlite3.connect(db_path).execute(
        "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE 'tickets_%fts%' "
        "ORDER BY name"
    )
    print("FTS triggers:", ", ".join(r[0] for r in triggers))
    size_mb = sum(p.stat().st_size for p in var_dir.glob("soporte.sqlite3*")) / 1e6
    print(f"\nDatabase: {db_path} ({size_mb:,.0f} MB)")
    for label, seconds in timings:
        print(f"  {label:<55} {seconds:8.1f} s")
    print(f"  {'total':<55} {sum(s for _, s in timings):8.1f} s")
    (var_dir / "seed-timings.txt").write_text(
        "\n".join(f"{label}\t{seconds:.1f}" for label, seconds in timings)
        + f"\ndb_mb\t{size_mb:.0f}\ntickets\t{n_tickets}\nnotes\t{note_id}\n"
    )


if __name__ == "__main__":
    main()
