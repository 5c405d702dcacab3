"""E-mail intake: a message opens a ticket for its sender's organisation, or is quarantined or
ignored, and every message is recorded (rules T8a, T8d)."""

from __future__ import annotations

import datetime as dt
import io
import stat
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError

from soporte.directory.models import Person
from soporte.tickets import attachments, intake
from soporte.tickets.mail import parsing
from soporte.tickets.models import Attachment, Channel, InboundMail, Note, Ticket

ROBERTO = "roberto.sanchez@example.mx"  # customer_a, organisation A
ELENA = "elena.cortes@example.mx"  # customer_b, organisation B

_counter = iter(range(1, 1_000_000))


def compose(
    *,
    sender: str | None = f"Roberto Sánchez <{ROBERTO}>",
    subject: str = "La impresora de almacén no imprime",
    text: str | None = "Muestra luz ámbar desde la mañana.\n\nSaludos, Roberto",
    html: str | None = None,
    message_id: str | None = None,
    headers: list[str] | None = None,
    files: list[tuple[str, bytes, str]] | None = None,
) -> bytes:
    """A message as an MTA would deliver it. From and the extra headers are written raw, so a
    test can send what a hostile client sends."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = subject
    msg["To"] = "Soporte <soporte@localhost>"
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for name, data, content_type in files or []:
        maintype, subtype = content_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    lines = [f"Message-ID: {message_id or f'<prueba-{next(_counter)}@cliente.example.mx>'}"]
    if sender is not None:
        lines.append(f"From: {sender}")
    lines += headers or []
    return "\r\n".join(lines).encode() + b"\r\n" + msg.as_bytes()


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def test_a_new_message_opens_a_ticket_for_the_senders_organisation(personas, now, media):
    result = intake.ingest(compose(), now=now)

    assert result.outcome == InboundMail.Outcome.NEW_TICKET
    ticket = result.ticket
    assert ticket is not None
    assert ticket.organisation == personas.org_a
    assert ticket.requester == personas.person_a
    assert ticket.created_by == personas.customer_a
    assert ticket.channel == Channel.EMAIL
    assert ticket.subject == "La impresora de almacén no imprime"
    assert "Muestra luz ámbar" in ticket.description
    record = InboundMail.objects.get()
    assert (record.sender, record.ticket, record.received_at) == (ROBERTO, ticket, now)
    raw = media / record.raw_path
    assert raw.read_bytes().startswith(b"Message-ID: <prueba-")
    assert stat.S_IMODE(raw.stat().st_mode) == 0o640
    assert stat.S_IMODE(raw.parent.stat().st_mode) == 0o750
    assert stat.S_IMODE((media / "mail").stat().st_mode) == 0o750


def test_the_sender_is_matched_without_regard_to_case(personas, now):
    result = intake.ingest(compose(sender="ROBERTO.Sanchez@Example.MX"), now=now)
    assert result.ticket is not None
    assert result.ticket.requester == personas.person_a


def test_a_contact_without_portal_account_gets_a_ticket_signed_by_the_desk(personas, now):
    person = Person.objects.create(
        organisation=personas.org_a, full_name="Iván Ortega", email="ivan.ortega@example.mx"
    )
    result = intake.ingest(compose(sender="Iván <ivan.ortega@example.mx>"), now=now)
    assert result.ticket is not None
    assert result.ticket.requester == person
    assert result.ticket.created_by.is_desk_staff
    assert result.ticket.description.startswith("Correo de Iván Ortega <ivan.ortega@example.mx>:")


def test_an_unknown_sender_is_quarantined(personas, now):
    result = intake.ingest(compose(sender="desconocido@otra-empresa.mx"), now=now)
    assert (result.outcome, result.reason, result.ticket) == ("quarantined", "unknown_sender", None)
    assert Ticket.objects.count() == 0


def test_an_address_shared_by_two_organisations_is_quarantined(personas, now):
    Person.objects.create(organisation=personas.org_b, full_name="Roberto (B)", email=ROBERTO)
    result = intake.ingest(compose(), now=now)
    assert (result.outcome, result.reason) == ("quarantined", "sender_ambiguous")
    assert Ticket.objects.count() == 0


def test_mail_claiming_to_come_from_an_agent_is_quarantined(personas, now):
    """From is trivially forged: the desk never takes an e-mail as an agent's action (T8b)."""
    result = intake.ingest(compose(sender=personas.agent.email), now=now)
    assert (result.outcome, result.reason) == ("quarantined", "staff_sender")
    assert Ticket.objects.count() == 0


AMBIGUOUS_FROM = [
    # CVE-2023-27043: parseaddr reads Roberto (org A), getaddresses reads Roberto *and* Elena.
    f"{ROBERTO})<{ELENA}>",
    f"<{ROBERTO}><{ELENA}>",
    f"{ROBERTO} <{ELENA}>",
    f"{ROBERTO} (nota) <{ELENA}>",
    f"{ROBERTO}, {ELENA}",
    f'"{ROBERTO} <{ELENA}>',
    f"{ROBERTO}@{ELENA}",
    'Roberto <"roberto.sanchez"@example.mx>',
    f"Roberto <{ROBERTO}",
    f"equipo: {ROBERTO};",
    "undisclosed-recipients:;",
    "=?utf-8?q?roberto.sanchez=40example.mx?=",
    "Roberto <robertо.sanchez@example.mx>",  # Cyrillic о
    "Roberto <roberto.sanchez@[127.0.0.1]>",
    "",
]


@pytest.mark.parametrize("from_header", AMBIGUOUS_FROM)
def test_an_ambiguous_or_malformed_from_is_quarantined_not_attributed(personas, now, from_header):
    result = intake.ingest(compose(sender=from_header), now=now)

    assert result.outcome == InboundMail.Outcome.QUARANTINED
    assert result.reason.startswith("from_")
    assert Ticket.objects.count() == 0
    assert InboundMail.objects.get().ticket is None


def test_two_from_headers_are_quarantined(personas, now):
    raw = compose(headers=[f"From: {ELENA}"])
    result = intake.ingest(raw, now=now)
    assert (result.outcome, result.reason) == ("quarantined", "from_multiple")


def test_a_message_without_from_is_quarantined(personas, now):
    result = intake.ingest(compose(sender=None), now=now)
    assert (result.outcome, result.reason) == ("quarantined", "from_missing")


def test_a_display_name_that_looks_like_an_address_does_not_change_who_sent_it(personas, now):
    result = intake.ingest(compose(sender=f'"{ROBERTO}" <{ELENA}>'), now=now)
    assert result.ticket is not None
    assert result.ticket.organisation == personas.org_b
    assert result.ticket.requester == personas.person_b


def test_an_utf8_display_name_is_accepted(personas, now):
    raw = compose(sender="PLACEHOLDER").replace(
        b"From: PLACEHOLDER", f"From: Roberto Sánchez <{ROBERTO}>".encode()
    )
    result = intake.ingest(raw, now=now)
    assert result.ticket is not None
    assert result.ticket.requester == personas.person_a


HOSTILE_HTML = """<html><head><title>titulo</title><style>p {color: red}</style></head><body>
<p>La PC <b>no arranca</b> &amp; hace ruido.</p>
<script>alert('xss')</script><img src=x onerror="alert(1)">
<a href="javascript:alert(2)">ver detalle</a><svg onload=alert(3)><circle/></svg>
<meta http-equiv="refresh" content="0;url=https://malo.example"><div>Gracias</div>
</body></html>"""


def test_an_html_only_message_is_sanitised_to_text(personas, now):
    result = intake.ingest(compose(text=None, html=HOSTILE_HTML), now=now)

    assert result.ticket is not None
    description = result.ticket.description
    assert "La PC no arranca & hace ruido." in description
    assert "ver detalle" in description
    assert "Gracias" in description
    for fragment in ("<", "alert", "javascript", "onerror", "color: red", "titulo", "refresh"):
        assert fragment not in description


def test_the_plain_alternative_is_preferred(personas, now):
    result = intake.ingest(compose(text="Texto plano", html="<p>Versión HTML</p>"), now=now)
    assert result.ticket is not None
    assert "Texto plano" in result.ticket.description
    assert "HTML" not in result.ticket.description


def test_attachments_are_stored_outside_the_web_root(personas, now, media):
    files = [
        ("foto.jpg", b"\xff\xd8\xff" + b"0" * 100, "image/jpeg"),
        ("../../etc/passwd", b"root:x:0:0", "text/plain"),
    ]
    result = intake.ingest(compose(files=files), now=now)

    assert result.ticket is not None
    stored = list(Attachment.objects.filter(ticket=result.ticket).order_by("id"))
    assert [a.original_name for a in stored] == ["foto.jpg", "passwd"]
    assert stored[0].size == 103
    for attachment in stored:
        path = attachments.path_for(attachment.storage_key)
        assert path.is_relative_to(media / "attachments")
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not (media / "etc").exists()
    # Named in the bitácora with their size and SHA-256.
    from soporte.logbook.models import Entry

    named = "\n".join(
        e.fields.get("files", "") for e in Entry.objects.filter(subject_id=result.ticket.folio)
    )
    assert "foto.jpg · 103 B · SHA-256 " in named
    assert "passwd · 10 B" in named


def test_too_many_attachments_are_refused_but_the_ticket_is_opened(personas, now):
    files = [(f"f{i}.txt", b"x", "text/plain") for i in range(attachments.MAX_FILES_PER_UPLOAD + 1)]
    result = intake.ingest(compose(files=files), now=now)

    assert result.ticket is not None
    assert Attachment.objects.count() == 0
    assert result.reason.startswith("attachments_rejected")


def test_an_oversized_attachment_is_refused(personas, now, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_BYTES", 1024)
    result = intake.ingest(compose(files=[("grande.bin", b"x" * 2048, "application/zip")]), now=now)
    assert result.ticket is not None
    assert Attachment.objects.count() == 0
    assert "grande.bin" in result.reason


def test_a_message_over_the_size_limit_is_quarantined(personas, now, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_MESSAGE_BYTES", 500)
    result = intake.ingest(compose(text="x" * 1000), now=now)
    assert (result.outcome, result.reason) == ("quarantined", "too_large")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe\r\n\r\n\x00",
        b"From: " + b"(" * 5000 + ROBERTO.encode() + b"\r\n\r\nx",
        b"Content-Type: multipart/mixed; boundary=x\r\nFrom: " + ROBERTO.encode() + b"\r\n\r\n"
        b"--x\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\nhola\r\n--x",
        b"From: " + ROBERTO.encode() + b"\r\nContent-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64",
        b"From: " + ROBERTO.encode() + b"\r\nSubject: \xff\xfe asunto\x00\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        b"hola \xff\xfe\x00 mundo",
    ],
)
def test_malformed_messages_never_crash_intake(personas, now, raw):
    result = intake.ingest(raw, now=now)
    assert result.outcome in {"quarantined", "new_ticket"}
    assert InboundMail.objects.count() == 1


def test_the_same_message_delivered_twice_is_taken_once(personas, now):
    raw = compose(message_id="<una-sola-vez@cliente.example.mx>")
    first = intake.ingest(raw, now=now)
    again = intake.ingest(raw, now=now + dt.timedelta(minutes=5))

    assert again.duplicate
    assert again.ticket == first.ticket
    assert Ticket.objects.count() == 1
    assert InboundMail.objects.count() == 1


# Loops and auto-replies (T8d)

AUTOMATIC = [
    ("Auto-Submitted: auto-replied", "auto_submitted"),
    ("Auto-Submitted: auto-generated", "auto_submitted"),
    ("Precedence: bulk", "precedence_bulk"),
    ("Precedence: junk", "precedence_bulk"),
    ("Precedence: list", "precedence_bulk"),
    ("X-Autoreply: yes", "autoreply_header"),
    ("Return-Path: <>", "bounce"),
]


@pytest.mark.parametrize(("header", "reason"), AUTOMATIC)
def test_auto_replies_bounces_and_bulk_mail_do_not_open_tickets(personas, now, header, reason):
    result = intake.ingest(compose(subject="Fuera de la oficina", headers=[header]), now=now)
    assert (result.outcome, result.reason) == ("ignored", reason)
    assert Ticket.objects.count() == 0


def test_auto_submitted_no_is_a_person_writing(personas, now):
    result = intake.ingest(compose(headers=["Auto-Submitted: no"]), now=now)
    assert result.outcome == "new_ticket"


def test_a_delivery_status_report_is_ignored(personas, now):
    raw = (
        b"From: MAILER-DAEMON@example.mx\r\nMessage-ID: <dsn-1@example.mx>\r\n"
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nNo se pudo entregar\r\n--b--\r\n"
    )
    result = intake.ingest(raw, now=now)
    assert (result.outcome, result.reason) == ("ignored", "bounce")


def test_mail_from_our_own_address_is_ignored(personas, now, settings):
    settings.DEFAULT_FROM_EMAIL = "Mesa de ayuda <soporte@mesa.example.mx>"
    result = intake.ingest(compose(sender="soporte@mesa.example.mx"), now=now)
    assert (result.outcome, result.reason) == ("ignored", "own_address")


def test_a_sender_flooding_the_desk_is_rate_limited(personas, now, settings):
    settings.SOPORTE_MAIL_MAX_PER_SENDER_PER_HOUR = 3
    outcomes = [
        intake.ingest(compose(), now=now + dt.timedelta(seconds=i)).outcome for i in range(10)
    ]
    assert outcomes == ["new_ticket"] * 3 + ["ignored"] * 7
    assert set(InboundMail.objects.filter(outcome="ignored").values_list("reason", flat=True)) == {
        "rate_limited"
    }

    later = intake.ingest(compose(), now=now + dt.timedelta(hours=1, seconds=10))
    assert later.outcome == "new_ticket"


def test_the_rate_limit_is_per_sender(personas, now, settings):
    settings.SOPORTE_MAIL_MAX_PER_SENDER_PER_HOUR = 1
    intake.ingest(compose(), now=now)
    other = intake.ingest(compose(sender=ELENA), now=now)
    assert other.outcome == "new_ticket"


# The MTA pipe: `soporte mail-ingest`


class _Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize("command", ["mail-ingest", "mail_ingest"])
def test_mail_ingest_reads_one_message_on_stdin(personas, now, monkeypatch, command):
    monkeypatch.setattr("sys.stdin", _Stdin(compose()))
    out = io.StringIO()
    call_command(command, stdout=out)
    ticket = Ticket.objects.get()
    assert out.getvalue().strip() == f"mail-ingest: new_ticket {ticket.folio}"


def test_mail_ingest_asks_the_mta_to_retry_when_the_database_fails(personas, monkeypatch):
    monkeypatch.setattr("sys.stdin", _Stdin(compose()))
    monkeypatch.setattr(intake, "ingest", _raise_database_error)
    with pytest.raises(SystemExit) as exit_info:
        call_command("mail_ingest", stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_info.value.code == 75


def _raise_database_error(raw: bytes, *, now: dt.datetime) -> None:
    raise DatabaseError("base de datos no disponible")


def test_mail_ingest_drains_a_huge_message(monkeypatch):
    monkeypatch.setattr(intake, "MAX_MESSAGE_BYTES", 10)
    from soporte.tickets.management.commands.mail_ingest import read_message

    stream = io.BytesIO(b"x" * 5000)
    assert read_message(stream) == b"x" * 11
    assert stream.read() == b""


def test_notes_are_never_created_for_quarantined_mail(personas, now):
    for header in AMBIGUOUS_FROM[:5]:
        intake.ingest(compose(sender=header), now=now)
    assert Note.objects.count() == 0
