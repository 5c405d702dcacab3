"""Password reset by e-mail, through a real SMTP exchange on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import re
import socket
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.test import Client


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    yield inbox
    controller.stop()


def body_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no text part")


def reset_link(message: Message) -> str:
    match = re.search(r"http://testserver(/contrasena/restablecer/\S+/)", body_text(message))
    assert match, "the mail carries the reset link"
    return match.group(1)


def test_reset_link_arrives_by_smtp_and_sets_a_new_password(personas, smtp_inbox, password):
    client = Client()
    response = client.post("/contrasena/restablecer/", {"email": personas.customer_a.email})
    assert response.status_code == 302

    assert len(smtp_inbox.messages) == 1
    message = smtp_inbox.messages[0]
    assert message["To"] == personas.customer_a.email
    assert "Restablecer su contraseña" in str(
        email.header.make_header(email.header.decode_header(message["Subject"]))
    )
    text = body_text(message)
    assert "vence en una hora" in text
    link = reset_link(message)
    assert any(p.get_content_type() == "text/html" for p in message.walk())

    form = client.get(link, follow=True)
    assert "Nueva contraseña" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "otra-clave-segura-2026", "new_password2": "otra-clave-segura-2026"},
    )
    assert done.status_code == 302

    personas.customer_a.refresh_from_db()
    assert personas.customer_a.check_password("otra-clave-segura-2026")
    assert not personas.customer_a.check_password(password)


def test_unknown_address_gets_the_same_answer_and_no_mail(db, smtp_inbox):
    response = Client().post("/contrasena/restablecer/", {"email": "nadie@example.mx"})
    assert response.status_code == 302
    assert smtp_inbox.messages == []


def test_a_used_link_is_refused(personas, smtp_inbox):
    client = Client()
    client.post("/contrasena/restablecer/", {"email": personas.agent.email})
    link = reset_link(smtp_inbox.messages[0])
    form = client.get(link, follow=True)
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "clave-nueva-2026!", "new_password2": "clave-nueva-2026!"},
    )

    again = Client().get(link, follow=True)

    assert "no es válido o ya se usó" in again.content.decode()
