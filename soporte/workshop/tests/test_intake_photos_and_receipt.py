"""Intake photos (checked, re-encoded without their metadata, seen only by who sees the
repair) and the intake receipt e-mailed through a real SMTP server on loopback, its QR code
opening the repair in the portal."""

from __future__ import annotations

import io

import pytest
from django.db import transaction
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from PIL import Image

from soporte.tickets.tests import test_mail_notifications
from soporte.workshop import photos, services
from soporte.workshop.models import Repair, RepairPhoto
from soporte.workshop.tests import qr
from soporte.workshop.tests.conftest import intake

MAKE = 0x010F  # EXIF: the camera's maker
GPS = 0x8825  # EXIF: where the photo was taken


def camera_jpeg(size: tuple[int, int] = (2400, 1800)) -> bytes:
    """A phone photo: large, with the camera and a GPS position in its EXIF."""
    image = Image.new("RGB", size, (180, 40, 40))
    exif = Image.Exif()
    exif[MAKE] = "TelefonoFoto"
    exif.get_ifd(GPS)[2] = (19.0, 25.0, 10.0)  # latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif()[MAKE] == "TelefonoFoto"
    return data


# The real SMTP server on loopback (aiosmtpd) the tickets' mail tests use.
smtp = test_mail_notifications.smtp


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_intake_photos_are_stored_reencoded_without_their_metadata(personas, device_a):
    client = personas.client("agent")
    response = client.post(
        reverse("workshop:repair_new"),
        {
            "organisation": personas.org_a.pk,
            "device": device_a.pk,
            "brought_by": personas.person_a.pk,
            "fault": "No enciende",
            "condition": "Rayón en la tapa",
            "preserve_data": "on",
            "photos": [
                io.BytesIO(camera_jpeg()),
                io.BytesIO(camera_jpeg((800, 600))),
            ],
        },
    )
    assert response.status_code == 302, response.content[:2000]
    repair = Repair.objects.get()
    stored = list(repair.photos.order_by("id"))
    assert len(stored) == 2
    with Image.open(photos.photo_path(stored[0].key)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 1600  # shrunk from 2400
        assert not image.getexif()  # neither the camera nor the place
        assert "exif" not in image.info
    detail = client.get(reverse("workshop:repair_detail", args=[repair.pk]))
    url = reverse("workshop:repair_photo", args=[repair.pk, stored[0].key])
    assert url in detail.content.decode()
    # The photo is seen by whoever sees the repair, and by nobody else.
    assert personas.client("customer_a").get(url).status_code == 200
    assert personas.client("customer_b").get(url).status_code == 404
    assert personas.client("anonymous").get(url).status_code == 302
    other = reverse("workshop:repair_photo", args=[repair.pk, "0" * 24])
    assert client.get(other).status_code == 404


def test_a_bad_photo_refuses_the_whole_intake_on_the_page(personas, device_a):
    response = personas.client("agent").post(
        reverse("workshop:repair_new"),
        {
            "organisation": personas.org_a.pk,
            "device": device_a.pk,
            "brought_by": personas.person_a.pk,
            "fault": "No enciende",
            "condition": "Bien",
            "photos": [io.BytesIO(camera_jpeg()), io.BytesIO(b"%PDF-1.4 not a photo")],
        },
    )
    assert response.status_code == 200
    assert "photos" in response.context["form"].errors
    assert not Repair.objects.exists() and not RepairPhoto.objects.exists()


@pytest.mark.parametrize(
    ("uploads", "code"),
    [
        ([b"GIF89a" + b"\x00" * 40], "photo_type"),
        ([b"\xff\xd8" + b"\x00" * (photos.MAX_BYTES - 1)], "photo_too_large"),
        ([b"x"] * (photos.MAX_PHOTOS + 1), "too_many_photos"),
    ],
)
def test_photo_limits(personas, now, device_a, uploads, code):
    with pytest.raises(services.RepairError) as refused:
        services.receive_repair(
            actor=personas.agent,
            intake=intake(device_a, personas.person_a, photos=uploads),
            now=now,
        )
    assert refused.value.code == code
    assert not Repair.objects.exists()


def test_the_receipt_is_emailed_with_its_qr_code_through_smtp(
    personas,
    now,
    device_a,
    smtp,
    django_capture_on_commit_callbacks,
    run_jobs,
):
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).delete()
    with django_capture_on_commit_callbacks(execute=True):
        repair = services.receive_repair(
            actor=personas.agent, intake=intake(device_a, personas.person_a), now=now
        )
    run_jobs()
    received = smtp.to(personas.person_a.email.lower())
    assert len(received) == 1 and smtp.recipients == {personas.person_a.email.lower()}
    message = received[0]
    assert repair.folio in message["Subject"]
    assert services.portal_url(repair) in message.get_body(("plain",)).get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"recibo-{repair.folio}.pdf"
    assert qr.encodes(attachment.get_content(), services.portal_url(repair))


def test_no_receipt_is_queued_when_the_intake_rolls_back(personas, now, device_a):
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.receive_repair(
            actor=personas.agent, intake=intake(device_a, personas.person_a), now=now
        )
        assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 1
        raise RuntimeError("the caller's transaction fails after the intake")
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    assert not Repair.objects.exists()
