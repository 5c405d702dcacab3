"""RFC 3161 time-stamps on the daily checkpoints (the NOM-151 "constancia de conservación" is
one, issued by a PSC). Optional: on when LOGBOOK_TSA_URL and LOGBOOK_TSA_CA are set.

The checkpoint names the CA its token must chain to (`tsa_ca`, covered by the desk's
signature); the token is requested after the checkpoint is committed (a network call never
holds the logbook's lock), checked here against that CA exactly as `verify` will check it,
and only then stored. A failed or refused request is retried by the next hourly run.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import urllib.error
import urllib.request

from cryptography import x509
from django.conf import settings
from django.db import IntegrityError, transaction

from soporte.logbook.chain import sha256_hex
from soporte.logbook.models import Checkpoint, Timestamp

log = logging.getLogger(__name__)
MAX_RESPONSE = 64 << 10


@functools.cache
def _ca(path: str) -> tuple[bytes, str]:
    from soporte.logbook.verify import tsa_ca_der

    der = tsa_ca_der(path) or b""
    return der, sha256_hex(der)


def configured_ca() -> tuple[bytes, str] | None:
    if not (settings.LOGBOOK_TSA_URL and settings.LOGBOOK_TSA_CA):
        return None
    return _ca(settings.LOGBOOK_TSA_CA)


def configured_ca_fingerprint() -> str:
    ca = configured_ca()
    return ca[1] if ca else ""


class StampError(Exception):
    pass


def request_token(
    message: bytes, *, url: str, ca_der: bytes, timeout: float
) -> tuple[bytes, dt.datetime]:
    """Ask the TSA to stamp `message`; return its response (DER) once it checks out."""
    from rfc3161_client import (
        HashAlgorithm,
        TimestampRequestBuilder,
        VerificationError,
        VerifierBuilder,
        decode_timestamp_response,
    )

    request = (
        TimestampRequestBuilder()
        .data(message)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    http = urllib.request.Request(  # noqa: S310 - the desk's configured TSA URL
        url,
        data=request.as_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http, timeout=timeout) as reply:  # noqa: S310
            body = reply.read(MAX_RESPONSE + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise StampError(f"TSA unreachable: {exc}") from exc
    if len(body) > MAX_RESPONSE:
        raise StampError("TSA response too large")
    try:
        response = decode_timestamp_response(body)
        ca = x509.load_der_x509_certificate(ca_der)
        VerifierBuilder.from_request(request).add_root_certificate(ca).build().verify_message(
            response, message
        )
    except (VerificationError, ValueError) as exc:
        raise StampError(f"TSA response refused: {exc}") from exc
    gen_time = response.tst_info.gen_time
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=dt.UTC)
    return body, gen_time


def stamp(checkpoint: Checkpoint, *, now: dt.datetime) -> Timestamp | None:
    """Time-stamp a daily checkpoint that names a TSA; None when off or the TSA failed."""
    from soporte.logbook.records import checkpoint_record
    from soporte.logbook.verify import tsa_message

    ca = configured_ca()
    if ca is None or not checkpoint.tsa_ca or checkpoint.tsa_ca != ca[1]:
        return None
    record = checkpoint_record(checkpoint)
    try:
        body, gen_time = request_token(
            tsa_message(record),
            url=settings.LOGBOOK_TSA_URL,
            ca_der=ca[0],
            timeout=settings.LOGBOOK_TSA_TIMEOUT_S,
        )
    except StampError as exc:
        log.warning("checkpoint %s not time-stamped: %s", checkpoint.pk, exc)
        return None
    try:
        with transaction.atomic():
            return Timestamp.objects.create(
                checkpoint=checkpoint,
                response=body,
                ca_certificate=ca[0],
                gen_time=gen_time,
                created_at=now,
            )
    except IntegrityError:  # another worker stamped it first
        return None


def stamp_missing(*, now: dt.datetime, limit: int = 100) -> int:
    """Retry the daily checkpoints of the last week that name the TSA but have no token."""
    ca = configured_ca()
    if ca is None:
        return 0
    pending = (
        Checkpoint.objects.filter(
            daily=True,
            tsa_ca=ca[1],
            timestamp__isnull=True,
            created_at__gte=now - dt.timedelta(days=7),
        )
        .select_related("logbook", "key")
        .order_by("created_at", "id")[:limit]
    )
    return sum(1 for cp in pending if stamp(cp, now=now) is not None)
