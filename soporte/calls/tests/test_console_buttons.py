"""The console's buttons: each one calls its service, and the page shows the result or the
rule's Spanish message (desks without CTI produce the same events as a phone system)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from soporte.calls import services as calls
from soporte.calls.models import (
    Call,
    Callback,
    CallEvent,
    CallState,
    EventSource,
    Hold,
    Party,
    Transfer,
    TransferKind,
    TransferState,
)
from soporte.directory.models import Agent, Area, Person
from soporte.lib import clock
from soporte.tickets import services as tickets
from soporte.tickets.models import Channel

pytestmark = pytest.mark.django_db
S = dt.timedelta(seconds=1)


class Clock:
    """The views read `clock.now()`; the test moves it."""

    def __init__(self, monkeypatch, start: dt.datetime) -> None:
        self.now = start
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def time(monkeypatch, now) -> Clock:
    return Clock(monkeypatch, now)


@pytest.fixture
def blanca(personas) -> Client:
    personas.person_a.phone = "5550001111"
    personas.person_a.save()
    return personas.client("agent")


def htmx(client: Client, url: str, data: dict | None = None) -> str:
    response = client.post(url, data or {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def ring(client: Client, number: str = "5550001111") -> Call:
    htmx(client, "/llamadas/consola/sonando/", {"number": number})
    return Call.objects.order_by("-id").first()  # type: ignore[return-value]


def answered(client: Client, time: Clock, *, need: str = "", name: str = "") -> Call:
    call = ring(client)
    time.advance(3)
    htmx(client, f"/llamadas/{call.pk}/contestar/")
    if need:
        htmx(client, f"/llamadas/{call.pk}/quien-llama/", {"need": need})
    if name:
        htmx(client, f"/llamadas/{call.pk}/quien-llama/", {"caller_name": name})
    call.refresh_from_db()
    return call


def with_ticket(client: Client, call: Call, person: Person) -> Call:
    htmx(
        client,
        f"/llamadas/{call.pk}/ticket/abrir/",
        {"requester": person.pk, "subject": "No imprime", "description": call.need},
    )
    call.refresh_from_db()
    return call


def test_ringing_pops_up_the_caller_looked_up_by_number(blanca, personas, time):
    existing = tickets.open_ticket(
        actor=personas.agent,
        data=tickets.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="Impresora atascada",
            description="x",
            channel=Channel.PHONE,
        ),
        now=time.now,
    )

    body = htmx(blanca, "/llamadas/consola/sonando/", {"number": "5550001111"})

    call = Call.objects.get()
    assert call.state == CallState.RINGING
    assert CallEvent.objects.get(call=call).source == EventSource.CONSOLE
    assert personas.person_a.full_name in body
    assert personas.org_a.name in body
    assert existing.folio in body
    assert 'data-ring-period="5.0"' in body  # the Mexican cadence, 1 s on / 4 s off
    assert "Contestar" in body


def test_answering_shows_the_greeting_then_asks_the_name(blanca, personas, time):
    call = ring(blanca)
    time.advance(4)

    body = htmx(blanca, f"/llamadas/{call.pk}/contestar/")

    call.refresh_from_db()
    assert call.state == CallState.TALKING
    assert call.rings == 1
    assert "Buenos días, Mesa de ayuda, le atiende Blanca, ¿en qué le puedo ayudar?" in body

    body = htmx(blanca, f"/llamadas/{call.pk}/quien-llama/", {"need": "La impresora no imprime"})
    assert "¿Me permite su nombre, por favor?" in body

    body = htmx(blanca, f"/llamadas/{call.pk}/quien-llama/", {"caller_name": "Roberto Sánchez"})
    call.refresh_from_db()
    assert (call.need, call.caller_name) == ("La impresora no imprime", "Roberto Sánchez")
    assert "Roberto Sánchez" in body


def test_an_empty_need_is_refused_in_spanish(blanca, time):
    call = answered(blanca, time)
    body = htmx(blanca, f"/llamadas/{call.pk}/quien-llama/", {"need": "  "})
    assert "Escriba la necesidad o el nombre de quien llama." in body


def test_hold_without_reason_shows_the_rule(blanca, time):
    call = answered(blanca, time, need="No imprime", name="Roberto")

    body = htmx(blanca, f"/llamadas/{call.pk}/espera/", {"reason": "", "choice": "wait"})

    assert "Diga a quien llama por qué lo pone en espera." in body
    assert Hold.objects.count() == 0


def test_hold_and_resume_with_the_callers_name_and_thanks(blanca, time):
    call = answered(blanca, time, need="No imprime", name="Roberto")

    body = htmx(
        blanca, f"/llamadas/{call.pk}/espera/", {"reason": "revisar su equipo", "choice": "wait"}
    )
    call.refresh_from_db()
    assert call.state == CallState.ON_HOLD
    assert "data-hold-started" in body
    assert 'data-hold-limit="60"' in body

    time.advance(20)
    body = htmx(blanca, f"/llamadas/{call.pk}/retomar/")

    call.refresh_from_db()
    assert call.state == CallState.TALKING
    assert call.hold_seconds == pytest.approx(20)
    assert "Roberto, gracias por su amable espera en la línea." in body


def test_a_callback_instead_of_waiting_goes_to_the_agents_tasks(blanca, personas, time):
    call = answered(blanca, time, need="No imprime", name="Roberto")

    body = htmx(
        blanca,
        f"/llamadas/{call.pk}/espera/",
        {
            "reason": "consultar al proveedor",
            "choice": "callback",
            "callback_at": "2026-11-23T12:00",
        },
    )

    callback = Callback.objects.get()
    assert callback.agent.user == personas.agent
    assert callback.phone == "5550001111"
    assert "Devolución programada" in body
    assert "Devoluciones pendientes" in body
    assert f'data-callback="{callback.pk}"' in body


def test_opening_a_ticket_from_the_call(blanca, personas, time):
    call = answered(blanca, time, need="No imprime", name="Roberto Sánchez")

    body = htmx(
        blanca,
        f"/llamadas/{call.pk}/ticket/abrir/",
        {"requester": personas.person_a.pk, "subject": "No imprime", "description": ""},
    )

    call.refresh_from_db()
    assert call.ticket is not None
    assert call.ticket.channel == Channel.PHONE
    assert call.ticket.description == "No imprime"
    assert call.ticket.folio in body
    # The agent on the line owns it and has already answered the caller.
    assert call.ticket.assignee.user == personas.agent
    assert call.ticket.status == "assigned"
    assert call.ticket.first_response_at is not None
    mine = blanca.get("/tickets/?cola=mis-tickets").content.decode()
    assert call.ticket.folio in mine


def test_a_higher_level_ticket_from_the_call_waits_in_its_level_queue(blanca, personas, time):
    call = answered(blanca, time, need="Servidor caído", name="Roberto Sánchez")
    call = calls.open_ticket_for_call(
        actor=personas.agent,
        call=call,
        requester=personas.person_a,
        subject="Servidor caído",
        description="No responde",
        level=3,
        now=time.now,
    )
    assert call.ticket is not None
    assert call.ticket.assignee is None and call.ticket.status == "new"


def test_attaching_an_open_ticket_of_the_organisation(blanca, personas, time):
    ticket = tickets.open_ticket(
        actor=personas.agent,
        data=tickets.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="Correo lento",
            description="x",
            channel=Channel.EMAIL,
        ),
        now=time.now,
    )
    call = answered(blanca, time, need="Sigue lento")
    assert "Correo lento" in blanca.get("/llamadas/consola/").content.decode()

    body = htmx(blanca, f"/llamadas/{call.pk}/ticket/vincular/", {"ticket": ticket.number})

    call.refresh_from_db()
    assert call.ticket == ticket
    assert f"Llamada vinculada a {ticket.folio}." in body


def test_attaching_another_organisations_ticket_is_refused(blanca, personas, time):
    ticket = tickets.open_ticket(
        actor=personas.agent,
        data=tickets.NewTicket(
            organisation=personas.org_b,
            requester=personas.person_b,
            subject="Otro",
            description="x",
            channel=Channel.EMAIL,
        ),
        now=time.now,
    )
    call = answered(blanca, time, need="No imprime")

    body = htmx(blanca, f"/llamadas/{call.pk}/ticket/vincular/", {"ticket": ticket.number})

    assert "El ticket es de otra organización que quien llama." in body
    call.refresh_from_db()
    assert call.ticket is None


def _transfer_data(to: Agent, **extra) -> dict:
    return {
        "kind": "warm",
        "level": 2,
        "to_agent": to.pk,
        "announced": "on",
        "reason": "el servidor de impresión no responde",
        "summary": "Reinicié la cola de impresión; sigue sin imprimir.",
    } | extra


def test_a_transfer_needs_a_ticket(blanca, time, make_agent):
    maria = make_agent("maria.lopez", level=2, first_name="María")
    call = answered(blanca, time, need="No imprime", name="Roberto")

    body = htmx(blanca, f"/llamadas/{call.pk}/transferir/", _transfer_data(maria))

    assert "Abra o vincule el ticket antes de transferir" in body
    assert Transfer.objects.count() == 0


def test_a_transfer_needs_the_announcement_and_the_handoff(blanca, personas, time, make_agent):
    maria = make_agent("maria.lopez", level=2, first_name="María")
    call = with_ticket(
        blanca, answered(blanca, time, need="No imprime", name="Roberto"), personas.person_a
    )

    body = htmx(blanca, f"/llamadas/{call.pk}/transferir/", _transfer_data(maria, announced=""))
    assert "Antes de transferir, diga a quien llama que lo va a transferir y por qué (T4)." in body

    body = htmx(blanca, f"/llamadas/{call.pk}/transferir/", _transfer_data(maria, summary=""))
    assert "Escriba el motivo y el resumen" in body
    assert Transfer.objects.count() == 0


def test_the_transfer_dialog_offers_the_next_level_and_who_is_available(
    blanca, personas, time, make_agent
):
    maria = make_agent("maria.lopez", level=2, first_name="María", last_name="López")
    make_agent("rodrigo.villalobos", level=3, first_name="Rodrigo")
    area = Area.objects.create(code="impresoras", name="Impresoras")
    maria.areas.add(area)
    call = answered(blanca, time, need="No imprime", name="Roberto")

    body = blanca.get(f"/llamadas/{call.pk}/transferir/").content.decode()

    assert '<option value="2" selected>' in body
    assert "María López" in body
    assert "Rodrigo" not in body
    assert "Disponible" in body
    assert "Le voy a transferir con" in body
    assert "Impresoras" in body


def test_warm_transfer_pops_the_colleagues_console_before_connecting(
    blanca, personas, time, make_agent
):
    maria_agent = make_agent("maria.lopez", level=2, first_name="María", last_name="López")
    maria = Client()
    maria.force_login(maria_agent.user)
    call = with_ticket(
        blanca, answered(blanca, time, need="No imprime", name="Roberto Sánchez"), personas.person_a
    )

    body = htmx(blanca, f"/llamadas/{call.pk}/transferir/", _transfer_data(maria_agent))
    transfer = Transfer.objects.get()
    assert transfer.state == TransferState.CONSULTING
    assert "esperando que acepte" in body

    offer = maria.get("/llamadas/consola/").content.decode()
    call.refresh_from_db()
    assert call.agent.user == personas.agent  # still Blanca's call
    assert "Roberto Sánchez" in offer
    assert "el servidor de impresión no responde" in offer
    assert "Reinicié la cola de impresión" in offer

    time.advance(5)
    htmx(maria, f"/llamadas/{call.pk}/transferencias/{transfer.pk}/aceptar/")
    body = blanca.get("/llamadas/consola/").content.decode()
    assert "María López aceptó la consulta" in body

    time.advance(15)  # Blanca tells María the case before connecting (X2)

    body = htmx(blanca, f"/llamadas/{call.pk}/transferencias/{transfer.pk}/conectar/")
    assert "Llamada transferida a María López." in body

    call.refresh_from_db()
    transfer.refresh_from_db()
    assert call.agent == maria_agent
    assert (transfer.kind, transfer.state) == (TransferKind.WARM, TransferState.COMPLETED)
    assert call.ticket.escalations.get().to_agent == maria_agent
    receiving = maria.get("/llamadas/consola/").content.decode()
    assert (
        "Hola Roberto Sánchez, soy María, de nivel 2; entiendo que el servidor de impresión "
        "no responde." in receiving
    )


def test_the_colleague_cannot_connect_nor_accept_someone_elses_offer(
    blanca, personas, time, make_agent
):
    maria_agent = make_agent("maria.lopez", level=2, first_name="María")
    other = make_agent("rodrigo.villalobos", level=2, first_name="Rodrigo")
    intruder = Client()
    intruder.force_login(other.user)
    call = with_ticket(blanca, answered(blanca, time, need="x", name="Roberto"), personas.person_a)
    htmx(blanca, f"/llamadas/{call.pk}/transferir/", _transfer_data(maria_agent))
    transfer = Transfer.objects.get()

    accept = intruder.post(f"/llamadas/{call.pk}/transferencias/{transfer.pk}/aceptar/")
    connect = intruder.post(f"/llamadas/{call.pk}/transferencias/{transfer.pk}/conectar/")

    assert (accept.status_code, connect.status_code) == (403, 403)


def test_cancelling_the_consultation_keeps_the_call(blanca, personas, time, make_agent):
    maria_agent = make_agent("maria.lopez", level=2, first_name="María")
    call = with_ticket(blanca, answered(blanca, time, need="x", name="Roberto"), personas.person_a)
    htmx(blanca, f"/llamadas/{call.pk}/transferir/", _transfer_data(maria_agent))
    transfer = Transfer.objects.get()

    body = htmx(blanca, f"/llamadas/{call.pk}/transferencias/{transfer.pk}/cancelar/")

    transfer.refresh_from_db()
    assert transfer.state == TransferState.CANCELLED
    assert "la llamada sigue con usted" in body


def test_a_blind_transfer_is_allowed_and_recorded_as_blind(blanca, personas, time, make_agent):
    make_agent("maria.lopez", level=2, first_name="María")
    call = with_ticket(blanca, answered(blanca, time, need="x", name="Roberto"), personas.person_a)

    body = htmx(
        blanca,
        f"/llamadas/{call.pk}/transferir/",
        {**_transfer_data(Agent(pk=0)), "kind": "blind", "to_agent": ""},
    )

    assert "Transferencia en frío registrada." in body
    transfer = Transfer.objects.get()
    assert transfer.kind == TransferKind.BLIND
    call.refresh_from_db()
    assert call.transfer_count == 1


def test_hang_up_asks_who_hung_up_first(blanca, time):
    call = answered(blanca, time, need="x", name="Roberto")
    body = blanca.get("/llamadas/consola/").content.decode()
    assert "Gracias por llamar, que tenga un buen día, la atendió Blanca." in body
    assert "Colgó quien llamó" in body and "Colgué yo" in body

    body = htmx(blanca, f"/llamadas/{call.pk}/colgar/", {"by": ""})
    assert "Indique quién colgó primero." in body

    htmx(blanca, f"/llamadas/{call.pk}/colgar/", {"by": "caller"})
    call.refresh_from_db()
    assert (call.state, call.hangup_by) == (CallState.ENDED, Party.CALLER)


def test_a_ringing_call_hung_up_before_answering_is_abandoned(blanca, time):
    call = ring(blanca)
    time.advance(12)
    htmx(blanca, f"/llamadas/{call.pk}/colgar/", {"by": "caller"})
    call.refresh_from_db()
    assert call.outcome == "abandoned"


def test_another_agent_cannot_work_my_call(blanca, personas, time, make_agent):
    call = answered(blanca, time, need="x")
    other = Client()
    other.force_login(make_agent("rodrigo.villalobos", first_name="Rodrigo").user)

    response = other.post(f"/llamadas/{call.pk}/espera/", {"reason": "x", "choice": "wait"})

    assert response.status_code == 403
    call.refresh_from_db()
    assert call.state == CallState.TALKING


def test_a_plain_form_post_redirects_to_the_console_with_the_message(blanca, time):
    call = answered(blanca, time, need="x", name="Roberto")

    response = blanca.post(
        f"/llamadas/{call.pk}/espera/", {"reason": "", "choice": "wait"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/llamadas/consola/"
    assert "Diga a quien llama por qué lo pone en espera." in response.content.decode()
