"""Sign-in resists guessing (issue #19, defect 4): 40 wrong passwords in a row, then the right
one, signed in; 15 password-reset requests sent 15 e-mails in 0.3 s. Now django-axes locks the
account and the address, the person is told how long to wait, the owner gets an e-mail, an
administrator sees and lifts the lockout, and API tokens and reset e-mails are limited too."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core import mail
from django.test import Client

from soporte.directory.services import create_api_token

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.7"):
    return client.post(
        "/entrar/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_forty_wrong_passwords_then_the_right_one_is_refused_with_the_wait(personas, password, now):
    client = Client()
    statuses = [sign_in(client, "blanca.herrera", f"mala-{n}").status_code for n in range(40)]
    assert statuses[: LIMIT - 1] == [200] * (LIMIT - 1)  # the form again, with its error
    assert set(statuses[LIMIT - 1 :]) == {429}

    right = sign_in(client, "blanca.herrera", password)
    assert right.status_code == 429
    page = right.content.decode()
    assert "Demasiados intentos fallidos" in page
    assert "espere 15 minutos" in page
    assert right["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session

    # The owner is told once, by e-mail.
    locked_mails = [m for m in mail.outbox if "se bloqueó" in m.subject]
    assert len(locked_mails) == 1
    assert locked_mails[0].to == [personas.agent.email]
    assert "blanca.herrera" in locked_mails[0].body

    # After the wait, the right password signs in.
    with time_machine.travel(now + dt.timedelta(minutes=16), tick=True):
        after = sign_in(Client(), "blanca.herrera", password, address="10.0.0.8")
        assert after.status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(personas, password):
    client = Client()
    for n in range(LIMIT):
        sign_in(client, f"usuario-{n}", "nada", address="10.9.9.9")
    refused = sign_in(client, "roberto.sanchez", password, address="10.9.9.9")
    assert refused.status_code == 429
    # The same account from another address is not held back by that address.
    assert sign_in(Client(), "roberto.sanchez", password, address="10.1.1.1").status_code == 302


def test_an_administrator_sees_the_lockout_and_lifts_it(personas, password):
    for n in range(LIMIT):
        sign_in(Client(), "elena.cortes", f"mala-{n}", address=f"10.2.0.{n}")
    assert sign_in(Client(), "elena.cortes", password, address="10.3.0.1").status_code == 429

    admin = personas.client("admin")
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "elena.cortes" in listing.content.decode()

    for attempt in AccessAttempt.objects.filter(username="elena.cortes"):
        deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
        assert deleted.status_code == 302
    assert sign_in(Client(), "elena.cortes", password, address="10.3.0.1").status_code == 302


def test_wrong_api_tokens_lock_the_address_out_in_the_api_shape(personas):
    _token, plain = create_api_token(user=personas.agent, name="integración")
    client = Client()
    for n in range(LIMIT - 1):
        wrong = client.get(
            "/api/v1/tickets",
            HTTP_AUTHORIZATION=f"Bearer sop_{n:08d}_adivinanza",
            REMOTE_ADDR="10.4.4.4",
        )
        assert wrong.status_code == 401
    last_wrong = client.get(
        "/api/v1/tickets", HTTP_AUTHORIZATION="Bearer sop_x_y", REMOTE_ADDR="10.4.4.4"
    )
    assert last_wrong.status_code == 429
    right = client.get(
        "/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {plain}", REMOTE_ADDR="10.4.4.4"
    )
    assert right.status_code == 429
    error = right.json()["error"]
    assert error["code"] == "locked_out"
    assert error["details"]["retry_after_seconds"] == 900
    # The token itself still works from elsewhere.
    elsewhere = client.get(
        "/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {plain}", REMOTE_ADDR="10.5.5.5"
    )
    assert elsewhere.status_code == 200


def test_fifteen_password_reset_requests_send_three_emails(personas):
    client = Client()
    mail.outbox.clear()
    answers = [
        client.post("/contrasena/restablecer/", {"email": personas.customer_a.email})
        for _ in range(15)
    ]
    # Every answer looks the same: nothing tells a guesser that the limit was reached.
    assert {a.status_code for a in answers} == {302}
    assert {a["Location"] for a in answers} == {"/contrasena/restablecer/enviado/"}
    assert len(mail.outbox) == 3
