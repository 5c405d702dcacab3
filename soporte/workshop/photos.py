"""Photos of a device at intake: how it arrived (scratches, a broken hinge), kept with the
repair. Each upload is checked (size, type, pixels) and re-encoded as a JPEG with no metadata
(EXIF carries the camera and the place where the photo was taken), like the blog's covers."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from soporte.workshop.money import RepairError

MAX_PHOTOS = 6
MAX_BYTES = 10 * 1024 * 1024  # a phone's full-size photo
MAX_PIXELS = 50_000_000  # past that, a decompression bomb
STORED_SIZE = (1600, 1600)  # enough to read a serial label; a fraction of the upload
TYPES = ("JPEG", "PNG", "WEBP")


@dataclass(frozen=True)
class Photo:
    key: str
    width: int
    height: int
    data: bytes


def photo_path(key: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "workshop" / f"{key}.jpg"


def prepare(uploads: list[bytes]) -> list[Photo]:
    """Check and re-encode every upload (before anything is written: one bad photo refuses
    the intake, naming why)."""
    if len(uploads) > MAX_PHOTOS:
        raise RepairError(
            _("Se admiten hasta %(n)d fotos por recepción.") % {"n": MAX_PHOTOS},
            code="too_many_photos",
        )
    return [_reencode(data) for data in uploads]


def _reencode(data: bytes) -> Photo:
    if len(data) > MAX_BYTES:
        raise RepairError(
            _("Una foto pesa más de %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)},
            code="photo_too_large",
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in TYPES:
                raise RepairError(
                    _("Las fotos deben ser imágenes JPEG, PNG o WebP."), code="photo_type"
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise RepairError(_("Una foto es demasiado grande."), code="photo_too_large")
            probe.load()
            image = ImageOps.exif_transpose(probe).convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise RepairError(_("Un archivo no es una imagen válida."), code="photo_type") from exc
    image.thumbnail(STORED_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, optimize=True)  # no exif= argument: nothing carried over
    return Photo(secrets.token_hex(12), image.width, image.height, out.getvalue())


def store(photo: Photo) -> None:
    """Write the file. Called before the rows that name it: a rolled-back intake leaves an
    unnamed file behind, never a row without its file."""
    path = photo_path(photo.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(photo.data)
