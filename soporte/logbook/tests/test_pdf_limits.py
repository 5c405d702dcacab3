"""The printed bitácora cannot be broken or used to stall the desk (issue #19, defects 1 and 2).

Defect 1: a note with a ~6 KB field made `/bitacora/<id>/pdf/` answer 500 for good (a table
row taller than a page). Now long text flows across pages. Defect 2: concurrent renders by
one customer held the web workers; now the worker builds the PDF (the page shows progress),
once per state of the logbook, a few at a time per person and for the desk, stopped at a
deadline and a page count, and when nobody wants it any more.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db.models import F
from django.test import override_settings

from soporte.jobs.worker import Worker
from soporte.logbook import pdf, printing, services
from soporte.logbook.models import FIELD_VALUE_MAX_CHARS, PdfBuild, PdfBuildStatus

pytestmark = pytest.mark.django_db

WORDS = ("El equipo presenta fallas intermitentes al encender y reinicia solo. " * 80)[
    :FIELD_VALUE_MAX_CHARS
]
LONG_VALUES = {
    "words": WORDS,
    "lines": "\n".join(["línea"] * 800),
    "no-spaces": "x" * FIELD_VALUE_MAX_CHARS,
}
EQUIPMENT = "INV-0042"


def pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", data))


def pdf_url(logbook) -> str:
    return f"/bitacora/{logbook.pk}/pdf/"


def equipment_url() -> str:
    return f"/bitacora/equipos/{EQUIPMENT}/pdf/"


def add_long_note(logbook, personas, now, value=WORDS):
    return services.append_entry(
        logbook=logbook,
        kind="note",
        author=personas.agent,
        summary="Diagnóstico largo",
        fields={"detail": value},
        now=now,
    )


@pytest.fixture(autouse=True)
def own_pdf_cache(settings, tmp_path):
    """Each test its own cache directory: "no file was written" means this test's."""
    settings.VAR_DIR = tmp_path


@pytest.fixture
def equipment_note(logbook, personas, now):
    return services.append_entry(
        logbook=logbook,
        kind="note",
        author=personas.agent,
        summary="Revisión de la impresora",
        subject=services.Subject("equipment", EQUIPMENT, "HP LaserJet M404dn"),
        now=now,
    )


def download(client, url, run_jobs) -> bytes:
    """What a person does: ask, wait for the worker, download."""
    asked = client.get(url)
    assert asked.status_code == 202, asked.status_code
    run_jobs()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("shape", LONG_VALUES)
def test_a_field_longer_than_a_page_flows_across_pages(personas, logbook, now, shape, run_jobs):
    add_long_note(logbook, personas, now, LONG_VALUES[shape])
    handle = io.BytesIO()
    pdf.logbook_pdf(handle, logbook=logbook, now=now, compress=False)
    assert pages(handle.getvalue()) >= 2

    assert download(personas.client("customer_a"), pdf_url(logbook), run_jobs).startswith(b"%PDF")


def test_the_request_never_renders_it_shows_the_builds_progress(personas, logbook):
    response = personas.client("customer_a").get(pdf_url(logbook))

    assert response.status_code == 202
    page = response.content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page
    assert not list(printing.cache_dir().glob("*.pdf"))
    assert PdfBuild.objects.get().status == PdfBuildStatus.QUEUED


def test_the_progress_box_offers_the_download_once_the_worker_is_done(personas, logbook, run_jobs):
    client = personas.client("customer_a")
    client.get(pdf_url(logbook))
    polling = client.get(pdf_url(logbook), headers={"HX-Request": "true"})
    assert polling.status_code == 202
    assert "hx-trigger" in polling.content.decode() and "<html" not in polling.content.decode()

    run_jobs()
    ready = client.get(pdf_url(logbook), headers={"HX-Request": "true"})

    assert ready.status_code == 200
    box = ready.content.decode()
    assert 'id="pdf-download"' in box and "hx-trigger" not in box  # the polling stops
    assert PdfBuild.objects.get().status == PdfBuildStatus.DONE


def test_the_pdf_is_built_once_per_logbook_head(personas, logbook, now, run_jobs):
    customer, agent = personas.client("customer_a"), personas.client("agent")
    for _ in range(3):
        assert customer.get(pdf_url(logbook)).status_code == 202
    assert agent.get(pdf_url(logbook)).status_code == 202
    assert PdfBuild.objects.count() == 1
    assert run_jobs() == 1

    first = b"".join(customer.get(pdf_url(logbook)).streaming_content)
    cached = list(printing.cache_dir().glob(f"{logbook.uid}-*.pdf"))
    assert len(cached) == 1
    assert b"".join(agent.get(pdf_url(logbook)).streaming_content) == first
    services.append_entry(
        logbook=logbook, kind="note", author=personas.agent, summary="Nota nueva", now=now
    )
    changed = download(customer, pdf_url(logbook), run_jobs)
    assert changed != first
    now_cached = list(printing.cache_dir().glob(f"{logbook.uid}-*.pdf"))
    assert len(now_cached) == 1 and now_cached != cached


@override_settings(SOPORTE_PDF_BUILDS_PER_USER=1)
def test_a_person_past_their_builds_limit_is_429(personas, logbook, equipment_note):
    customer = personas.client("customer_a")
    assert customer.get(pdf_url(logbook)).status_code == 202

    response = customer.get(equipment_url())

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Ya se están preparando documentos para usted" in response.content.decode()
    # Asking again for the build under way is not a new build; another person is not held back.
    assert customer.get(pdf_url(logbook)).status_code == 202
    assert personas.client("agent").get(equipment_url()).status_code == 202


@override_settings(SOPORTE_PDF_QUEUE_MAX=1)
def test_builds_past_the_desk_limit_are_503(personas, logbook, equipment_note):
    assert personas.client("agent").get(equipment_url()).status_code == 202

    response = personas.client("customer_a").get(pdf_url(logbook))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "otros documentos" in response.content.decode()


@override_settings(SOPORTE_PDF_RENDER_SECONDS=0)
def test_a_render_past_its_deadline_is_stopped(personas, logbook, run_jobs):
    client = personas.client("customer_a")
    assert client.get(pdf_url(logbook)).status_code == 202
    run_jobs()

    response = client.get(pdf_url(logbook))

    assert response.status_code == 503
    assert "tardó demasiado" in response.content.decode()
    assert PdfBuild.objects.get().error_code == "print_timeout"
    assert not list(printing.cache_dir().glob(f"{logbook.uid}-*"))
    # The progress box says it too, and stops asking.
    box = client.get(pdf_url(logbook), headers={"HX-Request": "true"}).content.decode()
    assert 'data-code="print_timeout"' in box and "hx-trigger" not in box


@override_settings(SOPORTE_PDF_MAX_PAGES=1)
def test_a_render_past_its_page_limit_is_stopped(personas, logbook, now, run_jobs):
    add_long_note(logbook, personas, now)
    client = personas.client("customer_a")
    client.get(pdf_url(logbook))
    run_jobs()

    response = client.get(pdf_url(logbook))

    assert response.status_code == 503
    assert PdfBuild.objects.get().error_code == "print_too_long"
    assert not list(printing.cache_dir().glob(f"{logbook.uid}-*"))


def test_a_build_nobody_waits_for_is_not_rendered_and_a_new_request_builds_it(
    personas, logbook, run_jobs
):
    client = personas.client("customer_a")
    client.get(pdf_url(logbook))
    PdfBuild.objects.update(wanted_at=F("wanted_at") - dt.timedelta(minutes=5))  # tab closed

    run_jobs()

    assert PdfBuild.objects.get().status == PdfBuildStatus.ABANDONED
    assert not list(printing.cache_dir().glob("*.pdf"))
    assert download(client, pdf_url(logbook), run_jobs).startswith(b"%PDF")
    assert PdfBuild.objects.get().runs == 2


def test_a_render_stops_when_its_client_goes_away_midway(
    personas, logbook, now, run_jobs, monkeypatch
):
    add_long_note(logbook, personas, now)
    client = personas.client("customer_a")
    client.get(pdf_url(logbook))
    real = pdf.logbook_pdf

    def client_leaves_once_it_started(handle, **kwargs):
        PdfBuild.objects.update(wanted_at=F("wanted_at") - dt.timedelta(minutes=5))
        return real(handle, **kwargs)

    monkeypatch.setattr(printing.pdf, "logbook_pdf", client_leaves_once_it_started)
    monkeypatch.setattr(printing, "PROGRESS_EVERY_S", 0.0)

    run_jobs()

    build = PdfBuild.objects.get()
    assert build.status == PdfBuildStatus.ABANDONED and build.progress < 100
    assert not list(printing.cache_dir().glob("*.pdf"))
    assert not list(printing.cache_dir().glob("*.part"))


def test_pdf_builds_wait_for_the_documents_worker_not_the_mail_one(personas, logbook):
    personas.client("customer_a").get(pdf_url(logbook))

    Worker(worker_id="correo", queues=["default"], schedule=False).run_until_idle()
    assert PdfBuild.objects.get().status == PdfBuildStatus.QUEUED

    Worker(worker_id="documentos", queues=["documents"], schedule=False).run_until_idle()
    assert PdfBuild.objects.get().status == PdfBuildStatus.DONE


def test_an_equipment_history_is_built_for_its_reader_only(
    personas, logbook, equipment_note, run_jobs
):
    download(personas.client("customer_a"), equipment_url(), run_jobs)

    # Another reader's access may hold other entries: their own build, never this file.
    assert personas.client("agent").get(equipment_url()).status_code == 202
    assert personas.client("customer_b").get(equipment_url()).status_code == 404
    assert PdfBuild.objects.count() == 2


def test_builds_older_than_a_day_are_pruned_with_their_files(personas, logbook, now, run_jobs):
    download(personas.client("customer_a"), pdf_url(logbook), run_jobs)
    build = PdfBuild.objects.get()
    assert printing.file_for(build.key).exists()

    assert printing.prune(now=now + dt.timedelta(hours=23), keep=dt.timedelta(days=1)) == 0
    assert printing.prune(now=now + dt.timedelta(days=2), keep=dt.timedelta(days=1)) == 1

    assert not PdfBuild.objects.exists()
    assert not printing.file_for(build.key).exists()
