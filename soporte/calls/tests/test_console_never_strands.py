"""The console never leaves the agent stuck: a transfer's prerequisites are checked and shown
before the colleague is consulted (and the form keeps what was typed), the receiver's script
speaks in the receiver's voice, scripts for a moment leave the screen after it, and hanging
up lands on the call's summary with its ticket and scorecard."""

from __future__ import annotations

import pytest
from django.test import Client

from soporte.calls.models import CallState, Transfer
from soporte.calls.tests import test_console_buttons as buttons
from soporte.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock_(monkeypatch, now) -> buttons.Clock:
    return buttons.Clock(monkeypatch, now)


@pytest.fixture
def blanca_(personas) -> Client:
    personas.person_a.phone = "5550001111"
    personas.person_a.save()
    return personas.client("agent")


@pytest.fixture
def maria(make_agent):
    return make_agent("maria.lopez", level=2, first_name="María", last_name="López")


def test_a_warm_transfer_to_the_tickets_own_level_is_refused_before_consulting(
    blanca_, personas, clock_, maria
):
    """It used to be refused only at "Conectar", after María accepted: the call stuck."""
    call = buttons.with_ticket(
        blanca_, buttons.answered(blanca_, clock_, need="No imprime", name="Roberto"), personas.person_a
    )  # fmt: skip
    assert call.ticket is not None
    Ticket.objects.filter(pk=call.ticket.pk).update(level=2)  # escalated earlier
    data = buttons._transfer_data(maria, reason="la impresora sigue fallando")

    body = buttons.htmx(blanca_, f"/llamadas/{call.pk}/transferir/", data)

    assert Transfer.objects.count() == 0  # nobody was consulted
    folio = call.ticket.folio
    assert f"El ticket {folio} ya está en el nivel 2: transfiera a un nivel superior" in body
    # The dialog is still open with what was typed.
    assert "data-transfer-error" in body
    assert ">la impresora sigue fallando</textarea>" in body
    assert ">Reinicié la cola de impresión; sigue sin imprimir.</textarea>" in body
    assert f'value="{maria.pk}" checked' in body
    colleague = Client()
    colleague.force_login(maria.user)
    assert "Consulta de transferencia" not in colleague.get("/llamadas/consola/").content.decode()


def test_the_transfer_dialog_shows_what_is_missing_before_anything_is_sent(blanca_, clock_, maria):
    call = buttons.answered(blanca_, clock_, need="No imprime")
    body = blanca_.get(f"/llamadas/{call.pk}/transferir/").content.decode()
    assert "✗ Falta el ticket: ábralo o vincúlelo" in body
    assert "✗ Falta el nombre de quien llama: anótelo" in body


def test_the_receiver_reads_their_own_words_and_the_senders_note_apart(
    blanca_, personas, clock_, maria
):
    call = buttons.with_ticket(
        blanca_, buttons.answered(blanca_, clock_, need="No imprime", name="Roberto Sánchez"), personas.person_a
    )  # fmt: skip
    buttons.htmx(blanca_, f"/llamadas/{call.pk}/transferir/", buttons._transfer_data(maria))
    transfer = Transfer.objects.get()
    colleague = Client()
    colleague.force_login(maria.user)
    clock_.advance(3)
    buttons.htmx(colleague, f"/llamadas/{call.pk}/transferencias/{transfer.pk}/aceptar/")
    clock_.advance(15)
    buttons.htmx(blanca_, f"/llamadas/{call.pk}/transferencias/{transfer.pk}/conectar/")

    body = colleague.get("/llamadas/consola/").content.decode()
    script = body.split('data-script="receiving">', 1)[1].split("</blockquote>", 1)[0]
    assert script == (
        "Hola Roberto Sánchez, soy María, de nivel 2; entiendo que el servidor de impresión no "
        "responde."
    )
    assert "Reinicié" not in script
    assert "Nota de Blanca (lo que ya se hizo; no la lea como suya):" in body

    clock_.advance(40)  # the moment of introducing oneself has passed
    assert 'data-script="receiving"' not in colleague.get("/llamadas/consola/").content.decode()


def test_the_resume_prompt_leaves_once_its_moment_has_passed(blanca_, clock_):
    call = buttons.answered(blanca_, clock_, need="No imprime", name="Roberto")
    buttons.htmx(blanca_, f"/llamadas/{call.pk}/espera/", {"reason": "reviso su equipo", "choice": "wait"})  # fmt: skip
    clock_.advance(20)
    buttons.htmx(blanca_, f"/llamadas/{call.pk}/retomar/")
    assert 'data-script="resume"' in blanca_.get("/llamadas/consola/").content.decode()
    clock_.advance(45)
    assert 'data-script="resume"' not in blanca_.get("/llamadas/consola/").content.decode()


def test_hanging_up_lands_on_the_calls_summary_with_ticket_and_scorecard(blanca_, personas, clock_):
    call = buttons.with_ticket(
        blanca_, buttons.answered(blanca_, clock_, need="No imprime", name="Roberto"), personas.person_a
    )  # fmt: skip
    clock_.advance(30)
    response = blanca_.post(
        f"/llamadas/{call.pk}/colgar/", {"by": "caller"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/llamadas/{call.pk}/"
    call.refresh_from_db()
    assert call.state == CallState.ENDED
    summary = blanca_.get(f"/llamadas/{call.pk}/").content.decode()
    assert "Llamada terminada." in summary
    assert call.ticket.folio in summary
    assert f'href="/llamadas/calidad/{call.pk}/" data-scorecard-link' in summary
