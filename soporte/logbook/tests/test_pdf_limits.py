"""The printed bitácora cannot be broken or used to stall the desk (issue #19, defects 1 and 2).

Defect 1: a note with a ~6 KB field made `/bitacora/<id>/pdf/` answer 500 for good (a table
row taller than a page). Now long text flows across pages. Defect 2: concurrent renders by
one customer held the workers; now a render is one at a time per person, a few per process,
stopped at a deadline, and cached per logbook head.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.cache import cache
from django.test import override_settings

from soporte.logbook import pdf, printing, services
from soporte.logbook.models import FIELD_VALUE_MAX_CHARS

pytestmark = pytest.mark.django_db

WORDS = ("El equipo presenta fallas intermitentes al encender y reinicia solo. " * 80)[
    :FIELD_VALUE_MAX_CHARS
]
LONG_VALUES = {
    "words": WORDS,
    "lines": "\n".join(["línea"] * 800),
    "no-spaces": "x" * FIELD_VALUE_MAX_CHARS,
}


def pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b", data))


@pytest.mark.parametrize("shape", LONG_VALUES)
def test_a_field_longer_than_a_page_flows_across_pages(personas, logbook, now, shape):
    services.append_entry(
        logbook=logbook,
        kind="note",
        author=personas.agent,
        summary="Diagnóstico largo",
        fields={"detail": LONG_VALUES[shape]},
        now=now,
    )
    handle = io.BytesIO()
    pdf.logbook_pdf(handle, logbook=logbook, now=now, compress=False)
    assert pages(handle.getvalue()) >= 2

    response = personas.client("customer_a").get(f"/bitacora/{logbook.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_pdf_is_built_once_per_logbook_head(personas, logbook, now):
    client = personas.client("customer_a")
    first = b"".join(client.get(f"/bitacora/{logbook.pk}/pdf/").streaming_content)
    cached = list(printing.cache_dir().glob(f"{logbook.uid}-*.pdf"))
    assert len(cached) == 1
    assert b"".join(client.get(f"/bitacora/{logbook.pk}/pdf/").streaming_content) == first
    services.append_entry(
        logbook=logbook, kind="note", author=personas.agent, summary="Nota nueva", now=now
    )
    changed = b"".join(client.get(f"/bitacora/{logbook.pk}/pdf/").streaming_content)
    assert changed != first
    now_cached = list(printing.cache_dir().glob(f"{logbook.uid}-*.pdf"))
    assert len(now_cached) == 1 and now_cached != cached


def test_a_second_render_by_the_same_person_at_once_is_429(personas, logbook):
    cache.add(f"logbook-pdf-render:{personas.customer_a.pk}", 1, timeout=60)
    try:
        response = personas.client("customer_a").get(f"/bitacora/{logbook.pk}/pdf/")
    finally:
        cache.delete(f"logbook-pdf-render:{personas.customer_a.pk}")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Ya se está preparando un PDF para usted" in response.content.decode()
    # Another person is not held back by it.
    assert personas.client("agent").get(f"/bitacora/{logbook.pk}/pdf/").status_code == 200


def test_renders_past_the_process_limit_are_503(personas, logbook):
    held = 0
    while printing._renders.acquire(blocking=False):
        held += 1
    try:
        response = personas.client("customer_a").get(f"/bitacora/{logbook.pk}/pdf/")
    finally:
        for _ in range(held):
            printing._renders.release()
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "otros documentos" in response.content.decode()


@override_settings(SOPORTE_PDF_RENDER_SECONDS=0)
def test_a_render_past_its_deadline_is_stopped(personas, logbook):
    response = personas.client("customer_a").get(f"/bitacora/{logbook.pk}/pdf/")
    assert response.status_code == 503
    assert "tardó demasiado" in response.content.decode()
    assert not list(printing.cache_dir().glob(f"{logbook.uid}-*"))
