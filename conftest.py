"""Shared test fixtures: the personas every access test uses.

agent (level 1), supervisor, customer_a (organisation A), customer_b (organisation B),
and anonymous. More people come from the factory fixtures `make_agent`, `make_customer` and
`make_user` (each with the `password` fixture's password); tests take fixtures and never
import from this file. Tests that need Chromium use the `browser_page` fixture from
tests/browser/conftest.py.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from dataclasses import dataclass

import pytest
import time_machine
from django.test import Client

from soporte.directory.models import (
    Agent,
    ContactRole,
    Organisation,
    Person,
    Presence,
    Role,
    User,
)

warnings.filterwarnings("ignore", message="No directory at", module="whitenoise")

PASSWORD = "correcto-caballo-bateria"  # noqa: S105

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--clock-ahead",
        type=float,
        default=float(os.environ.get("SOPORTE_CLOCK_AHEAD_DAYS") or 0),
        metavar="DAYS",
        help="run every test with the real clock moved DAYS days ahead (CI runs the suite a "
        "second time a year ahead, so a test that mixes a fixed `now` with the real clock "
        "fails the day it is written, not a week later)",
    )


@pytest.fixture(scope="session", autouse=True)
def _clock_ahead(request):
    days = request.config.getoption("clock_ahead")
    if not days:
        yield
        return
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=days), tick=True):
        yield


def pytest_configure(config) -> None:
    from django.conf import settings

    # PBKDF2's deliberate slowness is for attackers, not for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _make_user(username: str, role: str, organisation: Organisation | None = None, **extra) -> User:
    user = User(
        username=username,
        first_name=extra.pop("first_name", username.split(".")[0].title()),
        last_name=extra.pop("last_name", "Prueba"),
        email=extra.pop("email", f"{username}@example.mx"),
        role=role,
        organisation=organisation,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
        **extra,
    )
    user.set_password(PASSWORD)
    user.save()
    return user


def _make_agent(username: str, level: int = 1, role: str = Role.AGENT, **extra) -> Agent:
    user = _make_user(username, role, **extra)
    return Agent.objects.create(user=user, level=level, presence=Presence.AVAILABLE)


def _make_customer(username: str, organisation: Organisation, contact_role=ContactRole.REQUESTER):
    user = _make_user(username, Role.CUSTOMER, organisation=organisation)
    Person.objects.create(
        organisation=organisation,
        full_name=user.get_full_name(),
        email=user.email,
        contact_role=contact_role,
        user=user,
    )
    return user


@pytest.fixture(scope="session")
def make_user():
    """`make_user(username, role, organisation=None, **fields)`: a user with `password`."""
    return _make_user


@pytest.fixture(scope="session")
def make_agent():
    """`make_agent(username, level=1, role=AGENT, **user_fields)`: an available agent."""
    return _make_agent


@pytest.fixture(scope="session")
def make_customer():
    """`make_customer(username, organisation, contact_role=REQUESTER)`: a portal user who is
    a contact (Person) of the organisation."""
    return _make_customer


@pytest.fixture(scope="session")
def password() -> str:
    """The password of every person the fixtures make."""
    return PASSWORD


@pytest.fixture(scope="session")
def in_ci() -> bool:
    """CI=true: a missing service (PostgreSQL, Chromium, an IMAP server) fails, never skips."""
    return IN_CI


@pytest.fixture(autouse=True)
def _spanish_after_each_test():
    """A test that switches to English must not leave the next test speaking English."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """Calendar, policies, agent and area options, the CTI batches' agents and callers and
    the CTI lines are remembered per process for a few seconds (soporte.lib.refcache); a
    test's rows are rolled back without signals. Django's cache too: the sign-in and
    password-reset counters and the PDF render slots live there."""
    from django.core.cache import cache

    from soporte.lib import refcache

    refcache.forget_all()
    cache.clear()
    yield


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _logbook_guard(request):
    """Keep the bitácora's and the stock ledger's no-UPDATE/no-DELETE triggers in place for
    every database test.

    A transactional test ends with a flush (DELETE FROM every table on SQLite), which the
    triggers would refuse; they are lifted just for that flush and reinstalled next test.
    """
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    transactional = bool(names & {"transactional_db", "live_server"}) or bool(
        marker and marker.kwargs.get("transaction")
    )
    if not (names & DB_FIXTURES or marker):
        yield
        return
    from django.db import connection

    from soporte.inventory import db_guard as inventory_guard
    from soporte.logbook import db_guard

    request.getfixturevalue("transactional_db" if transactional else "db")
    db_guard.install(connection)
    inventory_guard.install(connection)
    yield
    if transactional:
        db_guard.remove(connection)
        inventory_guard.remove(connection)


@dataclass
class Personas:
    org_a: Organisation
    org_b: Organisation
    agent: User
    supervisor: User
    admin: User
    customer_a: User
    customer_b: User
    person_a: Person
    person_b: Person

    def client(self, who: str) -> Client:
        client = Client()
        if who != "anonymous":
            client.force_login(getattr(self, who))
        return client


@pytest.fixture
def personas(db) -> Personas:
    org_a = Organisation.objects.create(name="Ferretería Anáhuac", tax_id="FAN010101AAA")
    org_b = Organisation.objects.create(name="Clínica Santa Lucía", tax_id="CSL020202BBB")
    agent = _make_agent("blanca.herrera", level=1, first_name="Blanca", last_name="Herrera")
    supervisor = _make_agent("hector.dominguez", level=3, role=Role.SUPERVISOR).user
    admin = _make_user("monica.salgado", Role.ADMIN)
    customer_a = _make_customer("roberto.sanchez", org_a, ContactRole.BOTH)
    customer_b = _make_customer("elena.cortes", org_b, ContactRole.DECISION_MAKER)
    return Personas(
        org_a=org_a,
        org_b=org_b,
        agent=agent.user,
        supervisor=supervisor,
        admin=admin,
        customer_a=customer_a,
        customer_b=customer_b,
        person_a=customer_a.person,
        person_b=customer_b.person,
    )


@pytest.fixture
def now():
    """A fixed instant at the desk: Monday 2026-11-23 10:30 in Mexico City (16:30 UTC).

    The process's clock is moved there too (and keeps ticking), so a test that passes `now`
    to a service and then goes through a view, which reads the clock, sees one timeline
    instead of a fixed past and today's date. Not for tests that drive Chromium: the browser
    keeps the real clock and would see the server's cookies as expired.
    """
    moment = dt.datetime(2026, 11, 23, 16, 30, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=True):
        yield moment


@pytest.fixture
def contract_logbook(personas, now):
    """Organisation A's contract logbook (two-day countersign window, customer_a signs): where
    the desk writes what it did for that customer."""
    from soporte.logbook import services

    return services.open_logbook(
        actor=personas.supervisor,
        organisation=personas.org_a,
        title="Bitácora del contrato CS-2026-014",
        contract_reference="CS-2026-014",
        countersign_days=2,
        customer_signers=[personas.customer_a],
        fields={
            "desk_party": "Mesa de ayuda Soporte, Ciudad de México",
            "customer_party": "Ferretería Anáhuac",
            "contract": "CS-2026-014, soporte mensual",
            "scope": "Equipos de cómputo e impresoras de la sucursal",
        },
        now=now,
    )


@pytest.fixture
def run_jobs():
    """Runs every queued job now, with the real worker loop, as `soporte worker` would (mail,
    call records): returns how many ran. Periodic jobs are not scheduled."""
    from soporte.jobs.worker import Worker

    def run() -> int:
        from django.conf import settings

        # Every queue, as one `soporte worker` does (PDF builds are on "documents").
        queues = settings.TASKS["default"]["QUEUES"]
        worker = Worker(worker_id="pruebas", queues=queues, schedule=False)
        return worker.run_until_idle()

    return run
