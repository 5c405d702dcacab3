"""IMAP polling against a real IMAP server on loopback: a private Dovecot (Debian's
dovecot-imapd) with its own configuration, port and Maildir, started for this module."""

from __future__ import annotations

import grp
import imaplib
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from soporte.tickets import intake
from soporte.tickets.mail import threads
from soporte.tickets.models import InboundMail, Note, Ticket
from soporte.tickets.tests.test_mail_intake import compose

DOVECOT = Path("/usr/sbin/dovecot")
PASSWORD = "clave-de-prueba-imap"


@dataclass
class Dovecot:
    port: int
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dovecot_config(root: Path, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot refuses to give mail access as root: mailboxes belong to nobody.
        users = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
        mail_user, mail_group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
        chroot = ""
    else:
        me = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        users = (
            f"default_internal_user = {me}\ndefault_login_user = {me}\n"
            f"default_internal_group = {group}\n"
        )
        mail_user, mail_group = me, group
        chroot = "  chroot =\n"
    return f"""\
instance_name = soporte-test-{port}
base_dir = {root}/run
state_dir = {root}/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
log_path = {root}/dovecot.log
mail_location = maildir:{root}/mail/%u/Maildir
first_valid_uid = 1
{users}
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/mail/%u
}}
service imap-login {{
{chroot}  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
{chroot}}}
"""


@pytest.fixture(scope="module")
def dovecot(in_ci) -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        reason = "Dovecot is not installed (apt-get install dovecot-imapd)"
        if in_ci:
            pytest.fail(f"{reason}: CI must run the IMAP tests")
        pytest.skip(reason)
    # Not under pytest's tmp_path: its 0700 parents would lock out Dovecot's unprivileged users.
    root = Path(tempfile.mkdtemp(prefix="soporte-dovecot-"))
    root.chmod(0o755)
    for name in ("run", "state", "mail"):
        (root / name).mkdir()
    if os.geteuid() == 0:
        shutil.chown(root / "mail", "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name)
    port = free_port()
    (root / "dovecot.conf").write_text(dovecot_config(root, port))
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    if probe.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"Dovecot did not start:\n{stderr}\n{log}")
            time.sleep(0.05)
        yield Dovecot(port=port, log=root / "dovecot.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
        shutil.rmtree(root, ignore_errors=True)


_users = count(1)


class Mailbox:
    """A fresh mailbox on the test server, reached over IMAP like any mail client would."""

    def __init__(self, server: Dovecot) -> None:
        self.port = server.port
        self.user = f"mesa{next(_users)}"

    def connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        connection.login(self.user, PASSWORD)
        connection.select("INBOX")
        return connection

    def deliver(self, raw: bytes) -> None:
        connection = self.connect()
        try:
            response = connection.append("INBOX", "", "", raw)
            assert response[0] == "OK"
        finally:
            connection.logout()

    def search(self, criterion: str) -> list[bytes]:
        connection = self.connect()
        try:
            _status, data = connection.uid("SEARCH", criterion)
            return data[0].split() if data and data[0] else []
        finally:
            connection.logout()

    def mark_all_unseen(self) -> None:
        connection = self.connect()
        try:
            connection.store("1:*", "-FLAGS", "(\\Seen)")
        finally:
            connection.logout()


@pytest.fixture
def mailbox(dovecot, monkeypatch, settings, tmp_path) -> Mailbox:
    settings.MEDIA_ROOT = tmp_path / "media"
    box = Mailbox(dovecot)
    monkeypatch.setenv("IMAP_HOST", "127.0.0.1")
    monkeypatch.setenv("IMAP_PORT", str(dovecot.port))
    monkeypatch.setenv("IMAP_USER", box.user)
    monkeypatch.setenv("IMAP_PASSWORD", PASSWORD)
    monkeypatch.setenv("IMAP_SSL", "false")
    return box


def poll() -> str:
    out = io.StringIO()
    call_command("mail_poll", stdout=out)
    return out.getvalue().strip()


def test_polling_opens_tickets_and_marks_messages_seen(personas, now, mailbox):
    mailbox.deliver(compose(subject="No hay red en recepción"))
    mailbox.deliver(compose(sender="desconocido@otra-empresa.mx", subject="Hola"))

    assert poll() == "mail-poll: 2 message(s) new_ticket 1, quarantined 1"

    ticket = Ticket.objects.get()
    assert ticket.subject == "No hay red en recepción"
    assert ticket.requester == personas.person_a
    assert mailbox.search("UNSEEN") == []
    assert len(mailbox.search("SEEN")) == 2
    assert poll() == "mail-poll: 0 message(s)"


def test_polling_again_after_a_crash_takes_nothing_twice(personas, now, mailbox):
    """The poller died after intake committed but before \\Seen: the Message-ID remembers."""
    mailbox.deliver(compose(message_id="<una-vez@cliente.example.mx>"))
    poll()
    mailbox.mark_all_unseen()

    assert poll() == "mail-poll: 1 message(s) duplicate 1"

    assert Ticket.objects.count() == 1
    assert InboundMail.objects.count() == 1
    assert mailbox.search("UNSEEN") == []


def test_a_reply_fetched_by_imap_is_threaded(personas, now, mailbox):
    mailbox.deliver(compose())
    poll()
    ticket = Ticket.objects.get()
    reference = threads.make_message_id(ticket.number)
    mailbox.deliver(
        compose(
            subject=f"Re: [{ticket.folio}]",
            text="Ya funciona, gracias.",
            headers=[f"In-Reply-To: {reference}"],
        )
    )

    assert poll() == "mail-poll: 1 message(s) reply 1"
    assert Note.objects.get(ticket=ticket).body == "Ya funciona, gracias."


def test_a_failed_intake_leaves_the_message_for_the_next_run(personas, now, mailbox, monkeypatch):
    mailbox.deliver(compose())

    def broken(raw: bytes, *, now: object) -> None:
        raise RuntimeError("base de datos caída")

    monkeypatch.setattr(intake, "ingest", broken)
    with pytest.raises(CommandError, match="left unseen"):
        poll()
    assert len(mailbox.search("UNSEEN")) == 1


def test_wrong_credentials_are_an_error(personas, mailbox, monkeypatch):
    monkeypatch.setenv("IMAP_PASSWORD", "incorrecta")
    with pytest.raises(imaplib.IMAP4.error):
        poll()


def test_polling_without_a_host_explains_what_to_set(db, monkeypatch):
    monkeypatch.delenv("IMAP_HOST", raising=False)
    with pytest.raises(CommandError, match="IMAP_HOST"):
        poll()
