"""Two agents' consoles in Chromium against the real ASGI server (HTTP and websockets):
a warm transfer pops the colleague's console with the caller's name, reason and summary
before the caller is connected, and the receiving console then shows the X3 script.
Also the live ring counter (T1) and the hold countdown's alarm (H3).

pytest-django's live server speaks WSGI only, so these tests start granian (the server
`soporte run` uses) on the test database, with one worker so the in-process channel layer
carries the live events.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from playwright.sync_api import Browser, Page, expect

from soporte.calls import services
from soporte.calls.models import Call, PhoneLine, TransferKind, TransferState
from soporte.directory.models import Organisation, Person, Role, User
from soporte.lib import clock

pytestmark = pytest.mark.browser
TIMEOUT_MS = 15_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def asgi_server(browser: Browser, transactional_db, tmp_path) -> Iterator[str]:
    """granian serving soporte.asgi on the test database; stopped before the flush."""
    if connection.vendor != "sqlite":
        pytest.skip("the browser job runs on SQLite (the PostgreSQL job excludes browser tests)")
    database = Path(connection.settings_dict["NAME"]).resolve()
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{database}",
        SOPORTE_RELAY_SOCKET="",
        VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="soporte.settings",
        PYTHONUNBUFFERED="1",
    )
    log = (tmp_path / "server.log").open("wb")
    granian = Path(sys.executable).parent / "granian"
    proc = subprocess.Popen(
        [
            str(granian),
            "--interface",
            "asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--ws",
            "--log-level",
            "warning",
            "soporte.asgi:application",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail(f"the ASGI server did not start:\n{(tmp_path / 'server.log').read_text()}")
        time.sleep(0.3)
    try:
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def console_of(browser: Browser, base: str, username: str, password: str) -> Page:
    context = browser.new_context(base_url=base, locale="es-MX")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/entrar/")
    page.locator("main form").get_by_label("Usuario").fill(username)
    page.locator("main form").get_by_label("Contraseña").fill(password)
    page.locator("main form").get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hola")
    page.goto("/llamadas/consola/")
    expect(page.locator("#live-root")).to_have_attribute("data-live", "1")
    return page


@pytest.fixture
def desk(transactional_db, make_agent, password):
    now = clock.now()
    # No minimum consultation, so the test does not wait 10 s for a warm transfer.
    PhoneLine.objects.create(
        name="Consola", is_console=True, warm_min_consult_seconds=0, created_at=now
    )
    org = Organisation.objects.create(name="Ferretería Anáhuac")
    Person.objects.create(organisation=org, full_name="Roberto Sánchez", phone="5550001111")
    blanca = make_agent("blanca.herrera", level=1, first_name="Blanca", last_name="Herrera")
    maria = make_agent("maria.lopez", level=2, first_name="María", last_name="López")
    make_agent("hector.dominguez", level=3, role=Role.SUPERVISOR)  # opens the bitácoras
    # The test settings hash with MD5 for speed; the server keeps the real hashers.
    hashed = PBKDF2PasswordHasher().encode(password, "browsertestsalt", iterations=1000)
    User.objects.filter(pk__in=[blanca.user_id, maria.user_id]).update(password=hashed)
    return blanca, maria


def test_warm_transfer_between_two_consoles(browser: Browser, asgi_server: str, desk, password):
    blanca, maria = desk
    a = console_of(browser, asgi_server, "blanca.herrera", password)
    b = console_of(browser, asgi_server, "maria.lopez", password)

    # The desk phone rings: Blanca registers it; the caller is looked up by number.
    a.get_by_placeholder("Número de quien llama (sin conmutador)").fill("5550001111")
    a.get_by_role("button", name="Está sonando").click()
    card = a.locator("#calls article.call-card")
    expect(card).to_contain_text("Roberto Sánchez")
    expect(card).to_contain_text("Ferretería Anáhuac")
    expect(card.locator(".rings")).to_contain_text("timbre")

    card.get_by_role("button", name="Contestar", exact=True).click()
    expect(card.locator('[data-script="greeting"]')).to_contain_text("le atiende Blanca")

    card.get_by_label("¿Qué necesita quien llama?").fill("La impresora de caja no imprime")
    card.get_by_role("button", name="Guardar la necesidad").click()
    expect(card.locator('[data-script="name"]')).to_have_text("¿Me permite su nombre, por favor?")
    card.get_by_label("Nombre de quien llama").fill("Roberto Sánchez")
    card.get_by_role("button", name="Guardar el nombre").click()
    expect(card.locator(".caller-name")).to_have_text("Roberto Sánchez")

    card.get_by_role("button", name="Abrir ticket").click()
    expect(card.locator(".ticket-link")).to_be_visible()

    card.get_by_role("button", name="Transferir…").click()
    dialog = card.locator(".transfer-dialog")
    dialog.get_by_label("María López").check()
    dialog.get_by_label("Motivo").fill("el servidor de impresión no responde")
    expect(dialog.locator("[data-t4]")).to_contain_text(
        "Le voy a transferir con María López, especialista en"
    )
    expect(dialog.locator("[data-t4]")).to_contain_text(
        "porque el servidor de impresión no responde."
    )
    dialog.get_by_label("Ya le dije a quien llama que lo transfiero y por qué").check()
    dialog.get_by_label("Resumen para quien recibe (lo que ya se hizo)").fill(
        "Reinicié la cola de impresión; sigue sin imprimir."
    )
    dialog.get_by_role("button", name="Transferir", exact=True).click()
    expect(card).to_contain_text("esperando que acepte")

    # María's console pops (websocket) with the caller's name before the caller is connected.
    offer = b.locator("#offers article.offer")
    expect(offer.locator(".offer-caller")).to_have_text("Roberto Sánchez")
    expect(offer.locator(".offer-reason")).to_have_text("el servidor de impresión no responde")
    expect(offer.locator(".offer-summary")).to_contain_text("Reinicié la cola de impresión")
    call = Call.objects.get()
    assert call.agent == blanca  # still Blanca's call

    offer.get_by_role("button", name="Aceptar la consulta").click()
    expect(offer).to_contain_text("Aceptada")
    expect(a.locator("#calls")).to_contain_text("María López aceptó la consulta")

    a.get_by_role("button", name="Conectar a quien llama").click()
    expect(a.locator("#console")).to_contain_text("Llamada transferida a María López.")

    receiving = b.locator('#calls [data-script="receiving"]')
    expect(receiving).to_contain_text("Hola Roberto Sánchez, soy María, de nivel 2")
    expect(receiving).to_contain_text("entiendo que el servidor de impresión no responde")
    call.refresh_from_db()
    transfer = call.transfers.get()
    assert call.agent == maria
    assert (transfer.kind, transfer.state) == (TransferKind.WARM, TransferState.COMPLETED)


def test_ring_counter_and_hold_countdown(browser: Browser, asgi_server: str, desk, password):
    blanca, _maria = desk
    page = console_of(browser, asgi_server, "blanca.herrera", password)
    # A call ringing for 11 s on the Mexican cadence (5 s): the third ring, highlighted (T1).
    services.register_ringing(
        actor=blanca.user, number="5550001111", now=clock.now() - dt.timedelta(seconds=11)
    )
    page.reload()
    rings = page.locator("#calls .rings")
    expect(rings).to_have_text("timbre 3")
    expect(rings).to_have_class("rings ring-late")
    assert page.evaluate("[SoporteCalls.ringCount(4.9, 5), SoporteCalls.ringCount(5.1, 5)]") == [
        1,
        2,
    ]

    # On hold for 56 s: the countdown warns, then alarms at 60 s with the script and a beep (H3).
    call = Call.objects.get()
    talk_at = clock.now() - dt.timedelta(seconds=70)
    Call.objects.filter(pk=call.pk).update(started_at=talk_at - dt.timedelta(seconds=3))
    call.refresh_from_db()
    call = services.answer_call(actor=blanca.user, call=call, now=talk_at)
    services.record_caller(actor=blanca.user, call=call, caller_name="Roberto", now=talk_at)
    services.place_on_hold(
        actor=blanca.user,
        call=call,
        reason="revisar el equipo",
        choice="wait",
        now=clock.now() - dt.timedelta(seconds=56),
    )
    page.reload()
    panel = page.locator("#calls .hold-panel")
    expect(panel).to_have_attribute("data-state", "warn")
    expect(panel.locator("[data-hold-timer]")).to_contain_text("quedan")
    expect(panel).to_have_attribute("data-state", "over", timeout=8_000)
    expect(panel.locator("[data-hold-alarm]")).to_be_visible()
    expect(panel.locator("[data-hold-alarm]")).to_contain_text("regrese con quien llama")
    expect(panel.locator("[data-hold-timer]")).to_contain_text("excedida por")
    assert page.evaluate("SoporteCalls.beeps") == 1

    panel.get_by_role("button", name="Retomar la llamada").click()
    expect(page.locator('[data-script="resume"]')).to_have_text(
        "Roberto, gracias por su amable espera en la línea."
    )
