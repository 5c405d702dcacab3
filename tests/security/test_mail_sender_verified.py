"""E-mail intake checks the sender (issue #19, defect 9): a message with a forged From: opened a
ticket in another person's name. With SOPORTE_MAIL_AUTHSERV_ID set, only a sender that the
desk's own mail server verified (DKIM, SPF or DMARC pass, aligned with From:) opens or
answers a ticket; anything else is quarantined."""

from __future__ import annotations

import itertools
from email import policy
from email.message import EmailMessage

import pytest

from soporte.tickets import intake
from soporte.tickets.mail.authresults import aligned, sender_verified
from soporte.tickets.models import InboundMail, Ticket

pytestmark = pytest.mark.django_db

SERVER = "mx.mesa.example"
ROBERTO = "roberto.sanchez@example.mx"
_ids = itertools.count(1)


def message(*auth_results: str, sender: str = ROBERTO) -> bytes:
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = "La impresora no imprime"
    msg["To"] = "soporte@localhost"
    msg.set_content("Luz ámbar desde la mañana.")
    lines = [f"Message-ID: <autres-{next(_ids)}@example.mx>", f"From: Roberto <{sender}>"]
    lines += [f"Authentication-Results: {value}" for value in auth_results]
    return "\r\n".join(lines).encode() + b"\r\n" + msg.as_bytes()


@pytest.fixture(autouse=True)
def checking(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SOPORTE_MAIL_AUTHSERV_ID = SERVER


def test_a_forged_from_is_quarantined_not_given_a_ticket(personas, now):
    # What the attacker's message carries: no verdict of our server, or a verdict it wrote
    # itself under another server's name, or our server's "fail".
    for headers in [
        (),
        ("mx.attacker.example; dkim=pass header.d=example.mx; dmarc=pass header.from=example.mx",),
        (f"{SERVER}; dkim=fail header.d=example.mx; spf=softfail smtp.mailfrom=example.mx",),
        (
            f"{SERVER}; dkim=pass header.d=attacker.example; spf=pass smtp.mailfrom=attacker.example",
        ),
    ]:
        result = intake.ingest(message(*headers), now=now)
        assert result.outcome == InboundMail.Outcome.QUARANTINED, headers
        assert result.reason == "sender_unverified"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "verdict",
    [
        f"{SERVER}; dmarc=pass header.from=example.mx",
        f"{SERVER}; dkim=pass header.d=example.mx header.i=@example.mx",
        f"{SERVER}; spf=pass smtp.mailfrom=roberto.sanchez@example.mx",
        f"{SERVER}; dkim=pass header.d=correo.example.mx",
    ],
    ids=["dmarc", "dkim", "spf", "dkim-subdomain"],
)
def test_a_verified_sender_opens_a_ticket(personas, now, verdict):
    result = intake.ingest(message(verdict), now=now)
    assert result.outcome == InboundMail.Outcome.NEW_TICKET
    assert result.ticket is not None and result.ticket.requester == personas.person_a


def test_without_the_setting_nothing_changes(personas, now, settings):
    settings.SOPORTE_MAIL_AUTHSERV_ID = ""
    assert intake.ingest(message(), now=now).outcome == InboundMail.Outcome.NEW_TICKET


def test_alignment_is_relaxed_but_not_a_suffix_of_letters():
    assert aligned("example.mx", "roberto@example.mx")
    assert aligned("mail.example.mx", "roberto@example.mx")
    assert not aligned("badexample.mx", "roberto@example.mx")
    assert not sender_verified(["not a header at all ;;; ="], ROBERTO, SERVER)
