"""Headers (issue #19, defect 8): no Content-Security-Policy, authenticated pages and PDFs
cacheable, HSTS of one hour. Now a strict CSP everywhere, no-store for a signed-in person's
pages and documents, and HSTS of a year in production with `check --deploy` clean. And a
file whose bytes are gone (defect 5's remainder) answers 410 with a clear message."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from soporte.tickets import attachments
from soporte.tickets import services as ticket_services
from soporte.tickets.models import Attachment, Channel

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in header.split(";"))
        if part
    }


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("anonymous", "/entrar/"),
        ("agent", "/tickets/"),  # the Jinja2 layout
        ("agent", "/bitacora/"),  # the Django layout
        ("customer_a", "/tickets/mis-solicitudes/"),
        ("supervisor", "/llamadas/consola/"),
    ],
)
def test_every_page_has_a_strict_csp(personas, who, path):
    response = personas.client(who).get(path)
    assert response.status_code == 200
    policy = csp(response)
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in policy["script-src"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"


def test_no_template_has_an_inline_script_or_handler():
    """What the CSP would block: an inline <script> (other than JSON data) or an on…= or hx-on
    attribute. Behaviour goes in soporte/static/soporte/page.js or the page's own file."""
    offenders = []
    for path in (ROOT / "soporte").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script\b([^>]*)>", text):
            attributes = match.group(1)
            if "src=" not in attributes and "application/json" not in attributes:
                offenders.append(f"{path}: inline <script>")
        if re.search(r"\son[a-z]+\s*=|\shx-on[:-]", text):
            offenders.append(f"{path}: inline event handler")
        if "javascript:" in text:
            offenders.append(f"{path}: javascript: URL")
    assert offenders == []


def test_signed_in_pages_and_documents_are_no_store(personas, contract_logbook, run_jobs):
    agent = personas.client("agent")
    for path in ["/tickets/", "/bitacora/", f"/bitacora/{contract_logbook.pk}/"]:
        assert agent.get(path)["Cache-Control"] == "no-store, private", path
    progress = personas.client("customer_a").get(f"/bitacora/{contract_logbook.pk}/pdf/")
    assert progress.status_code == 202
    assert progress["Cache-Control"] == "no-store, private"
    run_jobs()
    pdf = personas.client("customer_a").get(f"/bitacora/{contract_logbook.pk}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Cache-Control"] == "no-store, private"
    api = agent.get("/api/v1/tickets")
    assert api["Cache-Control"] == "no-store, private"


def production_env(**extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SOPORTE_MODE": "production",
        "SECRET_KEY": "k" * 40 + "-production-test-Zq9",
        "ALLOWED_HOSTS": "soporte.example.mx",
        **extra,
    }
    env.pop("DATABASE_URL", None)
    return env


def test_production_hsts_is_a_year_with_subdomains_and_preload_and_deploy_check_is_clean(tmp_path):
    env = production_env(VAR_DIR=str(tmp_path))
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='soporte.settings';"
            "from django.conf import settings as s;"
            "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split() == ["31536000", "True", "True"]
    check = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--settings=soporte.settings"],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout


def test_a_file_whose_bytes_are_gone_answers_410_with_a_clear_message(personas, now):
    data = io.BytesIO(b"%PDF-1.4 factura")
    ticket = ticket_services.open_ticket(
        actor=personas.customer_a,
        data=ticket_services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="Factura del equipo",
            description="Adjunto la factura.",
            channel=Channel.PORTAL,
        ),
        files=[ticket_services.FileIn("factura.pdf", data.getvalue(), "application/pdf")],
        now=now,
    )
    attachment = Attachment.objects.get(ticket=ticket)
    page_path = f"/tickets/{ticket.number}/adjuntos/{attachment.pk}/"
    api_path = f"/api/v1/tickets/{ticket.number}/attachments/{attachment.pk}"
    assert personas.client("customer_a").get(api_path).status_code == 200

    attachments.path_for(attachment.storage_key).unlink()

    page = personas.client("customer_a").get(page_path)
    assert page.status_code == 410
    assert "«factura.pdf» ya no está guardado en el servidor" in page.content.decode()
    api = personas.client("agent").get(api_path)
    assert api.status_code == 410
    assert api.json()["error"]["code"] == "attachment_missing"
