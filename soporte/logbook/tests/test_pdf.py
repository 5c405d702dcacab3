"""The printable bitácora: a PDF with every entry's folio, elements, signers and hash.

Built uncompressed and invariant so the test can look for the text in the bytes.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from soporte.logbook import pdf, services
from soporte.logbook.models import Entry, EntryKind, SignatureMethod

from .conftest import add_note


def png_bytes() -> bytes:
    image = Image.new("RGB", (300, 120), "white")
    ImageDraw.Draw(image).line([(20, 90), (120, 30), (200, 95), (280, 40)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def printer(personas, logbook, now, maintenance_fields) -> Entry:
    entry = services.append_entry(
        logbook=logbook,
        kind=EntryKind.CORRECTIVE,
        author=personas.agent,
        summary="Cambio del rodillo de la impresora",
        fields=maintenance_fields,
        subject=services.Subject("equipment", "INV-0042", "HP LaserJet M404dn"),
        now=now,
    )
    services.countersign_entry(
        entry=entry,
        signer=personas.customer_a,
        method=SignatureMethod.ON_SITE,
        drawn_png=png_bytes(),
        now=now,
    )
    return entry


def logbook_bytes(logbook, now) -> bytes:
    handle = io.BytesIO()
    pdf.logbook_pdf(handle, logbook=logbook, now=now, compress=False)
    return handle.getvalue()


def test_logbook_pdf_carries_every_entry_its_elements_signers_and_hash(
    personas, logbook, printer, now
):
    checkpoint = services.sign_checkpoint(logbook=logbook, now=now)

    document = logbook_bytes(logbook, now)

    assert document.startswith(b"%PDF")
    assert len(document) > 0
    for entry in Entry.objects.filter(logbook=logbook):
        assert entry.entry_hash.encode() in document
    assert checkpoint.head_hash.encode() in document
    assert b"Cambio del rodillo de la impresora" in document
    assert b"Datos generales" in document and b"Observaciones" in document
    assert b"Roberto Prueba" in document, "the customer's signature is listed"
    assert b"Blanca Herrera" in document, "the responsible technician's signature is listed"
    assert b"/Subtype /Image" in document, "the drawn signature is printed"


def test_the_same_logbook_prints_the_same_bytes(logbook, printer, now):
    assert logbook_bytes(logbook, now) == logbook_bytes(logbook, now)


def test_user_text_is_printed_as_text_not_markup(personas, logbook, now):
    add_note(logbook, personas.agent, now, summary="Cable <RJ-45> & conector <b>roto")

    document = logbook_bytes(logbook, now)

    # reportlab writes an escaped run as consecutive strings; join them to read the line.
    assert b"Cable <RJ-45> & conector <b>roto" in document.replace(b") Tj (", b"")


def test_equipment_pdf_holds_only_that_equipments_history(personas, logbook, printer, now):
    other = add_note(logbook, personas.agent, now, summary="Revisión de la red")
    handle = io.BytesIO()

    pdf.equipment_pdf(
        handle,
        entries=Entry.objects.visible_to(personas.customer_a).filter(
            subject_type="equipment", subject_id="INV-0042"
        ),
        equipment_id="INV-0042",
        now=now,
        compress=False,
    )

    document = handle.getvalue()
    assert document.startswith(b"%PDF")
    assert printer.entry_hash.encode() in document
    assert other.entry_hash.encode() not in document
    assert b"INV-0042" in document
    assert b"Bit\\341cora del contrato CS-2026-014" in document or b"CS-2026-014" in document
