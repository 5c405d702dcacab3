"""Every input has a size (issue #19, defects 1, 6 and 7): each defect as it was found, now
refused with the error a user sees, and nothing stored."""

from __future__ import annotations

import io
import json

import pytest
from django.test import override_settings

from soporte.logbook import services as logbook_services
from soporte.logbook.models import ENTRY_FIELDS_MAX, FIELD_VALUE_MAX_CHARS, Entry
from soporte.tickets import services as ticket_services
from soporte.tickets.models import Attachment, Channel, Note, Ticket

pytestmark = pytest.mark.django_db


def post_json(client, path, data, **extra):
    return client.post(path, json.dumps(data), content_type="application/json", **extra)


@pytest.fixture
def ticket(personas, now) -> Ticket:
    return ticket_services.open_ticket(
        actor=personas.customer_a,
        data=ticket_services.NewTicket(
            organisation=personas.org_a,
            requester=personas.person_a,
            subject="La impresora no imprime",
            description="Luz ámbar desde la mañana.",
            channel=Channel.PORTAL,
        ),
        now=now,
    )


# --- JSON bodies: 413 from the Content-Length, unread ---------------------------------------


def test_api_body_declared_past_the_limit_is_413_in_the_api_shape_unread(personas, ticket):
    client = personas.client("agent")
    # 200 MB declared, a few bytes sent: answered from the header, the body is never read.
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/notes",
        b'{"body": "hola"}',
        content_type="application/json",
        CONTENT_LENGTH=str(200 * 2**20),
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert "16 MB" in error["message"]
    assert not Note.objects.filter(ticket=ticket, body="hola").exists()


@override_settings(SOPORTE_API_BODY_MAX_BYTES=4096)
def test_api_body_of_real_bytes_past_the_limit_is_413(personas, ticket):
    response = post_json(
        personas.client("agent"), f"/api/v1/tickets/{ticket.number}/notes", {"body": "x" * 5000}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


# --- ids out of the database's range are a 404, not an OverflowError ------------------------


@pytest.mark.parametrize("who", ["agent", "customer_a", "supervisor"])
def test_out_of_range_ticket_number_is_404(personas, who):
    client = personas.client(who)
    assert client.get("/tickets/99999999999999999999/").status_code == 404
    assert client.get("/tickets/mis-solicitudes/99999999999999999999/").status_code == 404
    api = client.get("/api/v1/tickets/99999999999999999999")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


# --- the bitácora's entry fields: count and length, in the API, the service and the model ---


def entry(fields):
    return {"kind": "note", "summary": "Revisión", "fields": fields}


@pytest.mark.parametrize(
    ("fields", "where"),
    [
        ({f"campo{i}": "x" for i in range(2000)}, "fields"),
        ({"detail": "x" * (FIELD_VALUE_MAX_CHARS + 1)}, "detail"),
        ({"k" * 65: "x"}, "fields"),
        ({"de\x00tail": "x"}, "fields"),
        ({"detail": "a\x00b"}, "detail"),
    ],
    ids=["2000-fields", "long-value", "long-key", "nul-in-key", "nul-in-value"],
)
def test_api_refuses_entry_fields_past_the_limits_and_stores_nothing(
    personas, contract_logbook, fields, where
):
    head = contract_logbook.head_number
    response = post_json(
        personas.client("customer_a"),
        f"/api/v1/logbooks/{contract_logbook.pk}/entries",
        entry(fields),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert any(where in e["loc"] for e in error["details"]["errors"]), error
    contract_logbook.refresh_from_db()
    assert contract_logbook.head_number == head


def test_api_refuses_a_lone_surrogate_in_a_key(personas, contract_logbook):
    # "\ud800" written as JSON's escape: valid JSON, text no database stores.
    body = '{"kind": "note", "summary": "Revisión", "fields": {"\\ud800": "x"}}'
    response = personas.client("agent").post(
        f"/api/v1/logbooks/{contract_logbook.pk}/entries", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert "sustituto" in json.dumps(response.json()["error"]["details"], ensure_ascii=False)


def test_service_refuses_too_many_or_too_long_fields_whole(personas, contract_logbook, now):
    with pytest.raises(logbook_services.LogbookError) as too_many:
        logbook_services.append_entry(
            logbook=contract_logbook,
            kind="note",
            author=personas.agent,
            summary="Demasiados campos",
            fields={f"c{i}": "x" for i in range(ENTRY_FIELDS_MAX + 1)},
            now=now,
        )
    assert too_many.value.code == "too_many_fields"
    with pytest.raises(logbook_services.LogbookError) as too_long:
        logbook_services.append_entry(
            logbook=contract_logbook,
            kind="note",
            author=personas.agent,
            summary="Campo largo",
            fields={"detail": "y" * (FIELD_VALUE_MAX_CHARS + 1)},
            now=now,
        )
    assert too_long.value.code == "field_too_long"
    assert "5000" in str(too_long.value)
    assert not Entry.objects.filter(summary__in=["Demasiados campos", "Campo largo"]).exists()


def test_the_longest_allowed_field_is_stored_whole(personas, contract_logbook, now):
    text = "z" * FIELD_VALUE_MAX_CHARS
    written = logbook_services.append_entry(
        logbook=contract_logbook,
        kind="note",
        author=personas.agent,
        summary="Campo al límite",
        fields={"detail": text},
        now=now,
    )
    assert Entry.objects.get(pk=written.pk).fields["detail"] == text


def test_the_page_form_refuses_a_value_past_the_limit(personas, contract_logbook):
    client = personas.client("agent")
    response = client.post(
        f"/bitacora/{contract_logbook.pk}/notas/nueva/",
        {"kind": "note", "summary": "Nota larga", "detail": "w" * (FIELD_VALUE_MAX_CHARS + 1)},
    )
    assert response.status_code in (200, 422)
    assert "5000" in response.content.decode()
    assert not Entry.objects.filter(summary="Nota larga").exists()


# --- tickets: text and columns ---------------------------------------------------------------


def test_api_ticket_text_and_remote_fields_carry_their_limits(personas):
    client = personas.client("agent")
    base = {
        "organisation_id": personas.org_a.pk,
        "requester_id": personas.person_a.pk,
        "subject": "Acceso remoto",
        "description": "Revisar el equipo.",
        "channel": "phone",
        "support_kind": "remote_access",
        "remote_tool": "AnyDesk",
        "remote_session_id": "123 456 789",
    }
    for field, value in [
        ("description", "d" * 20_001),
        ("remote_tool", "t" * 81),
        ("remote_session_id", "s" * 121),
    ]:
        response = post_json(client, "/api/v1/tickets", {**base, field: value})
        assert response.status_code == 422, field
        locs = [e["loc"] for e in response.json()["error"]["details"]["errors"]]
        assert any(field in loc for loc in locs), (field, locs)
    assert not Ticket.objects.filter(subject="Acceso remoto").exists()
    assert post_json(client, "/api/v1/tickets", base).status_code == 201


def test_api_note_past_the_text_limit_is_422(personas, ticket):
    response = post_json(
        personas.client("agent"),
        f"/api/v1/tickets/{ticket.number}/notes",
        {"body": "n" * 20_001},
    )
    assert response.status_code == 422


# --- uploads: per file (streamed), per request, per customer per day -------------------------


@override_settings(SOPORTE_UPLOAD_MAX_FILE_MB=1)
def test_portal_upload_past_the_file_limit_is_413_and_leaves_no_reply(personas, ticket):
    big = io.BytesIO(b"\0" * (2 * 2**20))
    big.name = "foto.jpg"
    response = personas.client("customer_a").post(
        f"/tickets/mis-solicitudes/{ticket.number}/responder/",
        {"body": "Les mando la foto", "uploads": big},
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "«foto.jpg» pesa más de 1 MB" in page
    assert not Note.objects.filter(body="Les mando la foto").exists()


@override_settings(SOPORTE_UPLOAD_MAX_REQUEST_MB=1)
def test_upload_request_declared_past_the_limit_is_refused_unread(personas, ticket):
    response = personas.client("customer_a").post(
        f"/api/v1/tickets/{ticket.number}/attachments",
        b"--x--",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200 * 2**20),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


@override_settings(SOPORTE_UPLOAD_QUOTA_MB_PER_DAY=1)
def test_customer_daily_upload_quota(personas, ticket):
    client = personas.client("customer_a")

    def upload(name):
        data = io.BytesIO(b"\1" * (600 * 1024))
        data.name = name
        return client.post(f"/api/v1/tickets/{ticket.number}/attachments", {"files": [data]})

    assert upload("uno.pdf").status_code == 201
    second = upload("dos.pdf")
    assert second.status_code == 413
    error = second.json()["error"]
    assert error["code"] == "upload_quota"
    assert "1 MB en 24 horas" in error["message"]
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["uno.pdf"]
    # The desk's staff have no daily quota.
    data = io.BytesIO(b"\2" * (600 * 1024))
    data.name = "del-agente.pdf"
    agent = personas.client("agent").post(
        f"/api/v1/tickets/{ticket.number}/attachments", {"files": [data]}
    )
    assert agent.status_code == 201


# --- QA: a date range of year 1 to 9999 -------------------------------------------------------


def test_qa_range_of_year_one_to_9999_is_a_clear_400(personas):
    response = personas.client("supervisor").get(
        "/llamadas/calidad/", {"desde": "0001-01-01", "hasta": "9999-12-31"}
    )
    assert response.status_code == 400
    assert "Asegúrese" in response.content.decode() or "2000" in response.content.decode()
    long = personas.client("supervisor").get(
        "/llamadas/calidad/", {"desde": "2020-01-01", "hasta": "2026-01-01"}
    )
    assert long.status_code == 400
    assert "hasta 731 días" in long.content.decode()
