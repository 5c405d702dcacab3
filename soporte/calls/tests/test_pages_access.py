"""Access to every page and endpoint of the console, wallboard, callbacks and calls pages,
and to their websockets. Personas: agent, supervisor, admin, customer_a, customer_b,
anonymous. Customers never see calls (their own organisation's nor another's)."""

from __future__ import annotations

import asyncio

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.urls import get_resolver

from soporte.calls import console_urls, services
from soporte.calls.models import Call, Callback
from soporte.routing import websocket_urlpatterns

app = URLRouter(websocket_urlpatterns)

STAFF = ("agent", "supervisor")
CUSTOMERS = ("customer_a", "customer_b")

# Every route of console_urls, with how it is reached: (name, method, path template).
ROUTES = [
    ("list", "get", "/llamadas/"),
    ("detail", "get", "/llamadas/{call}/"),
    ("console", "get", "/llamadas/consola/"),
    ("ringing", "post", "/llamadas/consola/sonando/"),
    ("answer", "post", "/llamadas/{call}/contestar/"),
    ("record_caller", "post", "/llamadas/{call}/quien-llama/"),
    ("register_caller", "post", "/llamadas/{call}/registrar/"),
    ("hold", "post", "/llamadas/{call}/espera/"),
    ("resume", "post", "/llamadas/{call}/retomar/"),
    ("open_ticket", "post", "/llamadas/{call}/ticket/abrir/"),
    ("attach_ticket", "post", "/llamadas/{call}/ticket/vincular/"),
    ("transfer", "get", "/llamadas/{call}/transferir/"),
    ("transfer_accept", "post", "/llamadas/{call}/transferencias/1/aceptar/"),
    ("transfer_complete", "post", "/llamadas/{call}/transferencias/1/conectar/"),
    ("transfer_cancel", "post", "/llamadas/{call}/transferencias/1/cancelar/"),
    ("hang_up", "post", "/llamadas/{call}/colgar/"),
    ("callbacks", "get", "/llamadas/devoluciones/"),
    ("callback_done", "post", "/llamadas/devoluciones/{callback}/hecho/"),
    ("wallboard", "get", "/llamadas/tablero/"),
]
READ_PAGES = [r for r in ROUTES if r[1] == "get"]


@pytest.fixture
def call_of_a(personas, now) -> Call:
    """A call from organisation A's person, with a callback."""
    personas.person_a.phone = "5550001111"
    personas.person_a.save()
    call = services.register_ringing(actor=personas.agent, number="5550001111", now=now)
    assert call.organisation == personas.org_a
    return call


@pytest.fixture
def callback(personas, call_of_a, now) -> Callback:
    from soporte.directory.models import Agent

    return services.schedule_callback(
        actor=personas.agent,
        call=call_of_a,
        agent=Agent.objects.get(user=personas.agent),
        due_at=now.replace(hour=23),
        reason="x",
        now=now,
    )


def _path(template: str, call: Call, callback: Callback) -> str:
    return template.format(call=call.pk, callback=callback.pk)


def test_every_console_route_has_an_access_test():
    names = {p.name for p in console_urls.urlpatterns}
    assert names == {name for name, _m, _p in ROUTES}
    resolver = get_resolver()
    for name, _method, _path in ROUTES:
        assert resolver.namespace_dict["calls"][1].reverse_dict.getlist(name), name


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method", "template"), ROUTES)
def test_anonymous_is_sent_to_login(personas, call_of_a, callback, name, method, template):
    response = getattr(personas.client("anonymous"), method)(_path(template, call_of_a, callback))
    assert response.status_code == 302
    assert response["Location"].startswith("/entrar/")


@pytest.mark.django_db
@pytest.mark.parametrize("who", CUSTOMERS)
@pytest.mark.parametrize(("name", "method", "template"), ROUTES)
def test_customers_are_refused(personas, call_of_a, callback, who, name, method, template):
    """Even organisation A's customer: calls are the desk's work, not a portal page."""
    response = getattr(personas.client(who), method)(_path(template, call_of_a, callback))
    assert response.status_code in (403, 404)
    call_of_a.refresh_from_db()
    assert call_of_a.state == "ringing"
    callback.refresh_from_db()
    assert callback.done_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("who", (*STAFF, "admin"))
@pytest.mark.parametrize(("name", "method", "template"), READ_PAGES)
def test_staff_read_every_page(personas, call_of_a, callback, who, name, method, template):
    response = personas.client(who).get(_path(template, call_of_a, callback))
    assert response.status_code == 200


@pytest.mark.django_db
def test_staff_pages_show_the_call(personas, call_of_a):
    client = personas.client("supervisor")
    assert "5550001111" in client.get("/llamadas/").content.decode()
    detail = client.get(f"/llamadas/{call_of_a.pk}/").content.decode()
    assert "Llamada nueva" in detail
    assert "Consola" in detail


@pytest.mark.django_db
def test_a_missing_call_is_404(personas):
    assert personas.client("agent").get("/llamadas/999999/").status_code == 404
    assert personas.client("agent").post("/llamadas/999999/contestar/").status_code == 404


@pytest.mark.django_db
def test_the_admin_without_an_agent_gets_a_console_notice(personas):
    body = personas.client("admin").get("/llamadas/consola/").content.decode()
    assert "Solo los agentes tienen consola de llamadas." in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "visible"), [("agent", True), ("customer_a", False), ("anonymous", False)]
)
def test_the_nav_links_are_for_staff(personas, who, visible):
    body = personas.client(who).get("/", follow=True).content.decode()
    assert ('href="/llamadas/consola/"' in body) is visible
    assert ('href="/llamadas/tablero/"' in body) is visible


# --- websockets ---------------------------------------------------------------------


def _connects(user, path: str) -> bool:
    async def scenario() -> bool:
        communicator = WebsocketCommunicator(app, path)
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        await communicator.disconnect()
        return connected

    return asyncio.run(scenario())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/llamadas/consola/", "/ws/llamadas/tablero/"])
@pytest.mark.parametrize("who", ["anonymous", "customer_a", "customer_b"])
def test_websockets_refuse_anonymous_and_customers(personas, path, who):
    user = AnonymousUser() if who == "anonymous" else getattr(personas, who)
    assert _connects(user, path) is False


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/llamadas/consola/", "/ws/llamadas/tablero/"])
def test_websockets_accept_agents(personas, path):
    assert _connects(personas.agent, path) is True
    assert _connects(personas.supervisor, path) is True
