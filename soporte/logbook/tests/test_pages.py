"""The bitácora's pages: who may open what, and what a person notices when using them."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image, ImageDraw

from conftest import PASSWORD
from soporte.lib import clock
from soporte.logbook import services
from soporte.logbook.models import Acceptance, Entry, EntryKind, Signature, SignatureMethod

from .conftest import add_note

EQUIPMENT = "INV-0042"


def png_bytes() -> bytes:
    image = Image.new("RGB", (300, 120), "white")
    ImageDraw.Draw(image).line([(20, 90), (120, 30), (200, 95), (280, 40)], fill="black", width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


@pytest.fixture(autouse=True)
def desk_clock(monkeypatch, now):
    """The pages read the clock once per request; here it is an hour after the entries."""
    monkeypatch.setattr(clock, "now", lambda: now + dt.timedelta(hours=1))


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Failed on-site passwords are counted in the cache; one test's count is not the next's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def logbook_b(personas, now):
    return services.open_logbook(
        actor=personas.supervisor,
        organisation=personas.org_b,
        title="Bitácora de la clínica",
        contract_reference="CS-2026-022",
        countersign_days=2,
        customer_signers=[personas.customer_b],
        fields={"desk_party": "Mesa", "customer_party": "Clínica", "contract": "x", "scope": "y"},
        now=now,
    )


@pytest.fixture
def maintenance(logbook, personas, now, maintenance_fields) -> Entry:
    return services.append_entry(
        logbook=logbook,
        kind=EntryKind.CORRECTIVE,
        author=personas.agent,
        summary="Cambio del rodillo de la impresora del almacén",
        fields=maintenance_fields,
        subject=services.Subject("equipment", EQUIPMENT, "HP LaserJet M404dn"),
        now=now,
    )


@pytest.fixture
def entry_b(logbook_b, personas, now, maintenance_fields) -> Entry:
    entry = services.append_entry(
        logbook=logbook_b,
        kind=EntryKind.PREVENTIVE,
        author=personas.agent,
        summary="Limpieza del servidor de la clínica",
        fields=maintenance_fields,
        subject=services.Subject("equipment", "INV-B-7", "Servidor Dell"),
        now=now,
    )
    services.countersign_entry(
        entry=entry,
        signer=personas.customer_b,
        method=SignatureMethod.ON_SITE,
        drawn_png=png_bytes(),
        now=now,
    )
    return entry


def url(name: str, *args) -> str:
    return reverse(f"logbook:{name}", args=args)


def routes_of(entry: Entry) -> list[tuple[str, str]]:
    """Every page and endpoint of the bitácora for one entry, with its HTTP method."""
    lb, n = entry.logbook_id, entry.number
    drawing = entry.signatures.filter(drawn_png__isnull=False).first()
    routes = [
        ("get", url("detail", lb)),
        ("get", url("pdf", lb)),
        ("post", url("export", lb)),
        ("get", url("entry_new", lb)),
        ("post", url("entry_new", lb)),
        ("get", url("entry_detail", lb, n)),
        ("post", url("entry_add", lb, n)),
        ("post", url("entry_annul", lb, n)),
        ("post", url("entry_countersign", lb, n)),
        ("get", url("entry_sign_on_site", lb, n)),
        ("post", url("entry_sign_on_site", lb, n)),
        ("get", url("equipment_pdf", entry.subject_id)),
        ("get", url("checkpoint", lb)),
    ]
    if drawing is not None:
        routes.append(("get", url("signature_drawing", lb, n, drawing.pk)))
    return routes


# --- access -------------------------------------------------------------------------------


def test_customer_a_gets_404_for_every_page_of_organisation_b(personas, logbook, entry_b):
    client = personas.client("customer_a")
    count = Entry.objects.count()
    for method, path in routes_of(entry_b):
        data = {"anular-reason": "x", "agregar-summary": "x", "summary": "x", "kind": "note"}
        response = getattr(client, method)(path, data)
        assert response.status_code == 404, (method, path, response.status_code)
    assert Entry.objects.count() == count, "nothing was written"
    assert not Signature.objects.filter(signer=personas.customer_a).exists()


def test_anonymous_is_sent_to_the_login_page_everywhere(personas, entry_b):
    client = personas.client("anonymous")
    for method, path in [("get", url("list")), *routes_of(entry_b)]:
        response = getattr(client, method)(path)
        assert response.status_code == 302, (method, path)
        assert response["Location"].startswith(reverse("login")), (method, path)


def test_customer_lists_only_its_organisations_logbook(personas, logbook, logbook_b):
    page = personas.client("customer_a").get(url("list")).content.decode()
    assert "Bitácora del contrato CS-2026-014" in page
    assert "Bitácora de la clínica" not in page
    staff_page = personas.client("agent").get(url("list")).content.decode()
    assert "Bitácora del contrato CS-2026-014" in staff_page
    assert "Bitácora de la clínica" in staff_page


def test_the_navigation_links_to_the_logbooks(personas):
    page = personas.client("customer_a").get("/").content.decode()
    assert f'href="{url("list")}"' in page


def test_customer_can_read_but_cannot_create_add_or_annul(personas, logbook, maintenance):
    client = personas.client("customer_a")
    count = Entry.objects.count()
    assert client.get(url("detail", logbook.pk)).status_code == 200
    assert client.get(url("entry_detail", logbook.pk, maintenance.number)).status_code == 200
    assert client.get(url("entry_new", logbook.pk)).status_code == 403
    assert (
        client.post(url("entry_new", logbook.pk), {"kind": "note", "summary": "x"}).status_code
        == 403
    )
    assert (
        client.post(url("entry_add", logbook.pk, maintenance.number), {"summary": "x"}).status_code
        == 403
    )
    annul = client.post(url("entry_annul", logbook.pk, maintenance.number), {"anular-reason": "no"})
    assert annul.status_code == 403
    assert Entry.objects.count() == count
    page = client.get(url("entry_detail", logbook.pk, maintenance.number)).content.decode()
    assert "Anular esta nota" not in page
    assert "Agregar a esta nota" not in page


def test_staff_cannot_countersign_in_the_portal(personas, logbook, maintenance):
    response = personas.client("agent").post(
        url("entry_countersign", logbook.pk, maintenance.number)
    )
    assert response.status_code == 403
    assert not Acceptance.objects.filter(entry=maintenance).exists()


# --- logbook pages ------------------------------------------------------------------------


def test_list_shows_entries_state_and_pending_countersignatures(personas, logbook, maintenance):
    page = personas.client("agent").get(url("list")).content.decode()
    row = page[page.index("Bitácora del contrato CS-2026-014") :]
    row = row[: row.index("</tr>")]
    assert "Ferretería Anáhuac" in row
    assert "Abierta" in row
    assert "2 notas" in row
    # The opening and the maintenance entry wait for the customer.
    assert 'class="badge status-pending"' in row and ">2</span>" in row


def test_past_the_deadline_entries_are_no_longer_pending(
    personas, logbook, maintenance, monkeypatch, now
):
    monkeypatch.setattr(clock, "now", lambda: now + dt.timedelta(days=2, minutes=1))
    client = personas.client("customer_a")
    listing = client.get(url("list")).content.decode()
    assert 'class="badge status-pending"' not in listing
    page = client.get(url("entry_detail", logbook.pk, maintenance.number)).content.decode()
    assert "Aceptada tácitamente" in page
    assert "Firmar en el portal" not in page


def test_detail_lists_entries_newest_first_with_status_and_author(personas, logbook, maintenance):
    page = personas.client("customer_a").get(url("detail", logbook.pk)).content.decode()
    assert page.index("Cambio del rodillo") < page.index("Apertura de la bitácora")
    assert "Pendiente de firma" in page
    assert "Blanca Herrera" in page
    assert "23 Nov 2026, 10:30" in page, "dates are shown in the desk's time zone"


def test_detail_pages_by_folio_without_offset(personas, logbook, now):
    for i in range(60):
        add_note(logbook, personas.agent, now, summary=f"Seguimiento número {i + 2:02d}")
    client = personas.client("agent")

    with CaptureQueriesContext(connection) as queries:
        first = client.get(url("detail", logbook.pk)).content.decode()
    assert not any("OFFSET" in q["sql"].upper() for q in queries.captured_queries)
    assert len(queries) <= 12, "one page costs a fixed number of queries, not one per entry"
    assert "Seguimiento número 61" in first
    assert "Seguimiento número 12" in first
    assert "Seguimiento número 11" not in first
    assert 'href="?antes=12"' in first

    second = client.get(url("detail", logbook.pk), {"antes": 12}).content.decode()
    assert "Seguimiento número 11" in second
    assert "Apertura de la bitácora" in second
    assert "Seguimiento número 12" not in second
    assert 'href="?antes=' not in second, "the last page has no next link"


def test_detail_filters_by_kind_and_answers_htmx_with_the_list_only(
    personas, logbook, maintenance, now
):
    add_note(logbook, personas.agent, now, summary="Llamada de seguimiento al cliente")
    client = personas.client("agent")

    page = client.get(url("detail", logbook.pk), {"tipo": "corrective"}).content.decode()
    assert "Cambio del rodillo" in page
    assert "Llamada de seguimiento" not in page

    partial = client.get(
        url("detail", logbook.pk), {"tipo": "note"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "Llamada de seguimiento" in partial
    assert "Cambio del rodillo" not in partial
    assert "<html" not in partial and 'id="entries"' in partial


def test_export_downloads_the_verifiable_file(personas, logbook, maintenance):
    response = personas.client("customer_a").post(url("export", logbook.pk))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    lines = b"".join(response.streaming_content).splitlines()
    header = json.loads(lines[0])
    assert header["checkpoint"]["entries"] == maintenance.number
    assert json.loads(lines[-1])["hash"] == maintenance.entry_hash


def test_logbook_and_equipment_pdfs_are_attachments(personas, logbook, maintenance, run_jobs):
    client = personas.client("customer_a")
    for path in (url("pdf", logbook.pk), url("equipment_pdf", EQUIPMENT)):
        assert client.get(path).status_code == 202  # built by the worker, progress shown
        run_jobs()
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client.get(url("equipment_pdf", "INV-NO-EXISTE")).status_code == 404


# --- entries ------------------------------------------------------------------------------


def test_entry_page_shows_the_eleven_elements_in_order_and_its_hashes(
    personas, logbook, maintenance
):
    page = (
        personas.client("customer_a")
        .get(url("entry_detail", logbook.pk, maintenance.number))
        .content.decode()
    )
    positions = [page.index(str(label)) for _key, label in services.ELEVEN_ELEMENTS]
    assert positions == sorted(positions)
    assert "Rodillo de alimentación desgastado." in page
    assert "22 Nov 2026, 17:40" in page
    assert maintenance.entry_hash in page
    assert maintenance.prev_hash in page
    assert "Blanca Herrera" in page and "Responsable" in page
    assert url("equipment_pdf", EQUIPMENT) in page


def test_new_entry_form_shows_the_elements_of_the_chosen_kind(personas, logbook):
    client = personas.client("agent")
    corrective = client.get(url("entry_new", logbook.pk), {"tipo": "corrective"}).content.decode()
    for _key, label in services.ELEVEN_ELEMENTS:
        assert str(label) in corrective
    manual = client.get(url("entry_new", logbook.pk), {"tipo": "manual"}).content.decode()
    assert "Proceso" in manual
    assert "Diagnóstico" not in manual


def test_missing_elements_are_named_and_nothing_typed_is_lost(
    personas, logbook, maintenance_fields
):
    typed = {**maintenance_fields, "diagnosis": "", "observations": "  "}
    count = Entry.objects.count()

    response = personas.client("agent").post(
        url("entry_new", logbook.pk),
        {"kind": "corrective", "summary": "Impresora sin imprimir", **typed},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Faltan datos de la nota: Diagnóstico, Observaciones." in page
    assert 'value="Impresora sin imprimir"' in page
    assert "La impresora de almacén no imprime y muestra luz ámbar." in page
    assert 'value="HP LaserJet M404dn, serie VNB3K12345"' not in page  # a textarea, not a value
    assert "HP LaserJet M404dn, serie VNB3K12345" in page
    assert 'name="diagnosis" cols="40" rows="3" maxlength="5000" aria-invalid="true"' in page
    assert Entry.objects.count() == count


def test_staff_records_a_maintenance_entry_signed_on_creation(
    personas, logbook, maintenance_fields
):
    response = personas.client("agent").post(
        url("entry_new", logbook.pk),
        {
            "kind": "preventive",
            "summary": "Mantenimiento mensual",
            "equipment_id": "INV-0099",
            **maintenance_fields,
        },
    )
    entry = Entry.objects.get(logbook=logbook, summary="Mantenimiento mensual")
    assert response.status_code == 302
    assert response["Location"] == url("entry_detail", logbook.pk, entry.number)
    assert entry.kind == EntryKind.PREVENTIVE
    assert (entry.subject_type, entry.subject_id) == ("equipment", "INV-0099")
    assert entry.signatures.get().method == SignatureMethod.ON_CREATE


def test_annulment_with_correction_shows_the_chain_both_ways(personas, logbook, maintenance):
    client = personas.client("agent")
    response = client.post(
        url("entry_annul", logbook.pk, maintenance.number),
        {
            "anular-reason": "El rodillo no se cambió: se limpió",
            "anular-correct": "on",
            "anular-summary": "Limpieza del rodillo de la impresora del almacén",
            **{f"anular-{key}": value for key, value in maintenance.fields.items()},
            "anular-observations": "Se limpió el rodillo; quedó imprimiendo.",
        },
    )
    assert response.status_code == 302
    annulment = Entry.objects.get(logbook=logbook, kind=EntryKind.ANNULMENT)
    corrected = Entry.objects.get(logbook=logbook, number=annulment.number + 1)
    assert corrected.fields["observations"] == "Se limpió el rodillo; quedó imprimiendo."

    original_page = client.get(url("entry_detail", logbook.pk, maintenance.number)).content.decode()
    assert f"Anulada por la nota {annulment.number}" in original_page
    assert f"Corregida por la nota {corrected.number}" in original_page
    assert "Anular esta nota" not in original_page, "an entry is annulled only once"
    assert "Se sustituyó el rodillo" in original_page, "the original is kept as recorded"

    annulment_page = client.get(url("entry_detail", logbook.pk, annulment.number)).content.decode()
    assert f"Anula la nota {maintenance.number}" in annulment_page
    assert "El rodillo no se cambió: se limpió" in annulment_page
    corrected_page = client.get(url("entry_detail", logbook.pk, corrected.number)).content.decode()
    assert f"Corrige la nota {maintenance.number}" in corrected_page

    listing = client.get(url("detail", logbook.pk)).content.decode()
    assert f"Anulada por la nota {annulment.number}" in listing
    assert f"Anula la nota {maintenance.number}" in listing


def test_annulment_needs_a_reason_and_keeps_the_correction_typed(personas, logbook, maintenance):
    response = personas.client("agent").post(
        url("entry_annul", logbook.pk, maintenance.number),
        {"anular-reason": "", "anular-correct": "on", "anular-summary": "Resumen corregido a mano"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Este campo es obligatorio" in page
    assert 'value="Resumen corregido a mano"' in page
    assert not Entry.objects.filter(kind=EntryKind.ANNULMENT).exists()


def test_an_addition_references_the_original(personas, logbook, maintenance):
    client = personas.client("agent")
    response = client.post(
        url("entry_add", logbook.pk, maintenance.number),
        {
            "agregar-summary": "Se entregó el rodillo usado al cliente",
            "agregar-detail": "Firmó de recibido",
        },
    )
    addition = Entry.objects.get(summary="Se entregó el rodillo usado al cliente")
    assert response["Location"] == url("entry_detail", logbook.pk, addition.number)
    assert addition.kind == EntryKind.NOTE and addition.references == maintenance
    page = client.get(url("entry_detail", logbook.pk, addition.number)).content.decode()
    assert f"Se agrega a la nota {maintenance.number}" in page
    assert "Firmó de recibido" in page
    original = client.get(url("entry_detail", logbook.pk, maintenance.number)).content.decode()
    assert f"Ampliada en la nota {addition.number}" in original


# --- countersignatures --------------------------------------------------------------------


def test_customer_reviews_and_signs_several_entries_after_confirming(
    personas, logbook, maintenance, now, maintenance_fields
):
    second = services.append_entry(
        logbook=logbook,
        kind=EntryKind.PREVENTIVE,
        author=personas.agent,
        summary="Limpieza preventiva del servidor",
        fields=maintenance_fields,
        now=now + dt.timedelta(minutes=5),
    )
    client = personas.client("customer_a")
    entry_page = client.get(url("entry_detail", logbook.pk, maintenance.number)).content.decode()
    assert "Revisar y firmar en el portal" in entry_page
    # The old one-tap button now only leads to the review list, with the entry chosen.
    tap = client.post(url("entry_countersign", logbook.pk, maintenance.number))
    assert tap.status_code == 302 and f"nota={maintenance.pk}" in tap["Location"]
    assert not Signature.objects.filter(entry=maintenance, signer=personas.customer_a).exists()

    listing = client.get(url("review")).content.decode()
    for text in ("Cambio del rodillo", "Limpieza preventiva del servidor", "Diagnóstico"):
        assert text in listing
    assert "Apertura de la bitácora" in listing  # the opening waits for them too

    chosen = {"nota": [maintenance.pk, second.pk]}
    confirm = client.post(url("review"), chosen)
    assert confirm.status_code == 200
    assert "Confirmar la firma" in confirm.content.decode()
    assert not Acceptance.objects.filter(entry__in=[maintenance, second]).exists()

    done = client.post(url("review"), {**chosen, "confirmar": "1"}, follow=True)
    assert "Firmó 2 notas." in done.content.decode()
    for entry in (maintenance, second):
        signature = Signature.objects.get(entry=entry, signer=personas.customer_a)
        assert signature.method == SignatureMethod.PORTAL and signature.seq is not None
        assert Acceptance.objects.get(entry=entry).kind == "countersigned"
    page = client.get(url("entry_detail", logbook.pk, maintenance.number)).content.decode()
    assert "Firmada por el cliente" in page and "Portal del cliente" in page


def test_the_review_list_is_the_customers_own(personas, logbook, maintenance, entry_b):
    assert personas.client("agent").get(url("review")).status_code == 403
    anonymous = personas.client("anonymous").get(url("review"))
    assert anonymous.status_code == 302 and "/entrar/" in anonymous["Location"]
    other = personas.client("customer_b")
    assert "Cambio del rodillo" not in other.get(url("review")).content.decode()
    # Organisation A's entry posted by organisation B's customer is not signed.
    response = other.post(url("review"), {"nota": [maintenance.pk], "confirmar": "1"})
    assert response.status_code == 302
    assert not Acceptance.objects.filter(entry=maintenance).exists()


def test_notes_that_are_a_record_do_not_wait_for_the_customer(personas, logbook, now):
    note = add_note(logbook, personas.agent, now, summary="Llamada de cortesía")
    client = personas.client("customer_a")
    assert "Llamada de cortesía" not in client.get(url("review")).content.decode()
    page = client.get(url("entry_detail", logbook.pk, note.number)).content.decode()
    assert "No requiere firma" in page
    detail = client.get(url("detail", logbook.pk)).content.decode()
    assert "Qué notas firma el cliente" in detail and "Mantenimiento correctivo" in detail


def test_the_customer_downloads_the_signed_checkpoint_and_sees_the_desk_key(
    personas, logbook, maintenance, now
):
    from soporte.logbook import keys
    from soporte.logbook.chain import grouped

    services.sign_checkpoint(logbook=logbook, now=now)
    client = personas.client("customer_a")
    detail = client.get(url("detail", logbook.pk)).content.decode()
    desk = keys.desk_key(now=now)
    assert grouped(desk.fingerprint) in detail
    response = client.get(url("checkpoint", logbook.pk))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["format"] == "soporte-checkpoint/2"
    assert data["desk_key"]["key"] == desk.fingerprint
    assert data["checkpoint"]["entries"] == maintenance.number
    assert personas.client("customer_b").get(url("checkpoint", logbook.pk)).status_code == 404


def test_entry_contents_read_with_labels_not_keys(personas, logbook, now):
    services.append_entry(
        logbook=logbook,
        kind=EntryKind.NOTE,
        author=personas.agent,
        summary="Ticket abierto",
        fields={"requester": "Roberto Sánchez", "channel": "Teléfono", "level": "2"},
        now=now,
    )
    page = personas.client("customer_a").get(url("entry_detail", logbook.pk, 2)).content.decode()
    for label in ("Solicitante", "Canal", "Nivel 2"):
        assert label in page
    for raw in ("requester", "channel", ">level<"):
        assert raw not in page


def test_on_site_signing_with_a_wrong_password_is_refused(personas, logbook, maintenance):
    drawing = data_url(png_bytes())
    response = personas.client("agent").post(
        url("entry_sign_on_site", logbook.pk, maintenance.number),
        {"signer": personas.customer_a.pk, "password": "no-es-la-contraseña", "drawing": drawing},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "La contraseña no es correcta; no se firmó la nota." in page
    assert drawing in page, "the drawing is kept for the next attempt"
    assert not Signature.objects.filter(entry=maintenance, signer=personas.customer_a).exists()
    assert not Acceptance.objects.filter(entry=maintenance).exists()


def test_on_site_signing_with_the_customers_password_seals_the_drawing(
    personas, logbook, maintenance
):
    client = personas.client("agent")
    form = client.get(url("entry_sign_on_site", logbook.pk, maintenance.number)).content.decode()
    assert "Roberto Prueba" in form and "<canvas" in form and "Borrar" in form

    response = client.post(
        url("entry_sign_on_site", logbook.pk, maintenance.number),
        {"signer": personas.customer_a.pk, "password": PASSWORD, "drawing": data_url(png_bytes())},
    )

    assert response.status_code == 302
    signature = Signature.objects.get(entry=maintenance, signer=personas.customer_a)
    assert signature.method == SignatureMethod.ON_SITE
    drawing = client.get(url("signature_drawing", logbook.pk, maintenance.number, signature.pk))
    assert drawing["Content-Type"] == "image/png"
    assert drawing.content == png_bytes()
    page = client.get(url("entry_detail", logbook.pk, maintenance.number)).content.decode()
    assert "Firmada por el cliente" in page
    assert url("signature_drawing", logbook.pk, maintenance.number, signature.pk) in page


def test_on_site_signing_needs_a_drawing_and_an_authorised_signer(personas, logbook, maintenance):
    client = personas.client("agent")
    path = url("entry_sign_on_site", logbook.pk, maintenance.number)
    empty = client.post(path, {"signer": personas.customer_a.pk, "password": PASSWORD})
    assert "Dibuje la firma en el recuadro." in empty.content.decode()
    not_png = client.post(
        path,
        {"signer": personas.customer_a.pk, "password": PASSWORD, "drawing": "data:text/html,x"},
    )
    assert "La firma dibujada no es una imagen válida." in not_png.content.decode()
    outsider = client.post(
        path,
        {"signer": personas.customer_b.pk, "password": PASSWORD, "drawing": data_url(png_bytes())},
    )
    assert outsider.status_code == 200
    assert not Signature.objects.filter(entry=maintenance).exclude(method="on_create").exists()


def test_repeated_wrong_passwords_lock_on_site_signing(personas, logbook, maintenance):
    client = personas.client("agent")
    path = url("entry_sign_on_site", logbook.pk, maintenance.number)
    wrong = {"signer": personas.customer_a.pk, "password": "x", "drawing": data_url(png_bytes())}
    for _attempt in range(5):
        client.post(path, wrong)
    right = {**wrong, "password": PASSWORD}
    page = client.post(path, right).content.decode()
    assert "Demasiados intentos" in page
    assert not Signature.objects.filter(entry=maintenance, signer=personas.customer_a).exists()


def test_customer_signs_on_site_on_their_own_session_without_a_password(
    personas, logbook, maintenance
):
    client = personas.client("customer_a")
    form = client.get(url("entry_sign_on_site", logbook.pk, maintenance.number)).content.decode()
    assert 'name="password"' not in form
    response = client.post(
        url("entry_sign_on_site", logbook.pk, maintenance.number),
        {"drawing": data_url(png_bytes())},
    )
    assert response.status_code == 302
    assert Signature.objects.get(entry=maintenance, signer=personas.customer_a).drawn_png


def test_a_signed_entry_offers_no_more_signing(personas, logbook, maintenance, now):
    services.countersign_entry(
        entry=maintenance, signer=personas.customer_a, method="portal", now=now
    )
    page = (
        personas.client("agent")
        .get(url("entry_sign_on_site", logbook.pk, maintenance.number))
        .content.decode()
    )
    assert "Esta nota ya no espera firma" in page
    assert "<canvas" not in page


def test_drawings_are_served_only_as_png(personas, entry_b):
    signature = entry_b.signatures.get(drawn_png__isnull=False)
    response = personas.client("customer_b").get(
        url("signature_drawing", entry_b.logbook_id, entry_b.number, signature.pk)
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"\x89PNG")
    no_drawing = entry_b.signatures.get(drawn_png__isnull=True)
    assert (
        personas.client("customer_b")
        .get(url("signature_drawing", entry_b.logbook_id, entry_b.number, no_drawing.pk))
        .status_code
        == 404
    )
