"""A customer asks for their bitácora's PDF: the page shows the build's progress while the
worker renders it, then offers the download, and the file is the logbook's PDF."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from soporte.jobs.worker import Worker
from soporte.logbook import services
from soporte.logbook.models import PdfBuild, PdfBuildStatus

pytestmark = pytest.mark.browser


@pytest.fixture
def worker(transactional_db) -> Iterator[Worker]:
    """A real worker loop on every queue, in a thread beside the live server."""
    worker = Worker(
        worker_id="navegador", queues=settings.TASKS["default"]["QUEUES"], schedule=False
    )
    thread = threading.Thread(target=worker.run_forever, kwargs={"idle_s": 0.1}, daemon=True)
    thread.start()
    yield worker
    worker.stop()
    thread.join(timeout=30)


def test_a_customer_asks_for_the_pdf_watches_it_build_and_downloads_it(
    browser_page: Page, personas, password, contract_logbook, now, worker, tmp_path
):
    for n in range(15):  # a few pages: a build that takes a moment
        services.append_entry(
            logbook=contract_logbook,
            kind="note",
            author=personas.agent,
            summary=f"Seguimiento {n}",
            fields={"detail": "Se revisó el equipo y quedó funcionando. " * 40},
            now=now,
        )
    page = browser_page
    page.goto("/entrar/")
    page.locator("main form").get_by_label("Usuario").fill(personas.customer_a.username)
    page.locator("main form").get_by_label("Contraseña").fill(password)
    page.locator("main form").get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hola")

    page.goto(f"/bitacora/{contract_logbook.pk}/")
    page.get_by_role("button", name="PDF para imprimir").click()

    # The progress page, then (the worker done, htmx asking every second) the download.
    expect(page.get_by_role("heading", level=1)).to_contain_text(contract_logbook.title)
    download_link = page.locator("#pdf-download")
    expect(download_link).to_be_visible(timeout=60_000)
    expect(page.locator("#pdf-build")).to_contain_text("El PDF está listo")
    with page.expect_download() as event:
        download_link.click()
    saved = tmp_path / "bitacora.pdf"
    event.value.save_as(saved)

    assert event.value.suggested_filename == f"bitacora-{contract_logbook.pk}.pdf"
    assert saved.read_bytes().startswith(b"%PDF")
    build = PdfBuild.objects.get()
    assert build.status == PdfBuildStatus.DONE and build.pages >= 2
