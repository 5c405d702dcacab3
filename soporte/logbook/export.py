"""Export a logbook to one self-contained file that `verify.py` checks offline.

Order: header (with the checkpoint signed for this export), public keys, earlier checkpoints,
then every entry up to the export checkpoint, each with its signatures and acceptance.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from soporte.logbook import services
from soporte.logbook.chain import iso_ms
from soporte.logbook.models import Checkpoint, Entry, Logbook, Signature, SigningKey
from soporte.logbook.verify import FORMAT


def _line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def checkpoint_record(cp: Checkpoint) -> dict[str, Any]:
    return {
        "type": "checkpoint",
        "number": cp.number,
        "head_hash": cp.head_hash,
        "created_at": iso_ms(cp.created_at),
        "key_id": cp.key.key_id,
        "signature": cp.signature,
    }


def key_record(key: SigningKey) -> dict[str, Any]:
    return {
        "type": "key",
        "key_id": key.key_id,
        "public_key": key.public_key,
        "owner_id": key.user_id,
        "owner": str(key.user) if key.user_id else "Mesa de ayuda",
        "desk": key.is_desk,
    }


def signature_record(sig: Signature) -> dict[str, Any]:
    return {
        "key_id": sig.key.key_id,
        "signer": {"id": sig.signer_id, "name": sig.signer_name},
        "role": sig.role,
        "method": sig.method,
        "signed_at": iso_ms(sig.signed_at),
        "signature": sig.signature,
        "drawn_png": base64.b64encode(bytes(sig.drawn_png)).decode() if sig.drawn_png else None,
    }


def entry_record(entry: Entry) -> dict[str, Any]:
    acceptance = getattr(entry, "acceptance", None)
    return {
        "type": "entry",
        "content": services.entry_content(entry),
        "prev_hash": entry.prev_hash,
        "hash": entry.entry_hash,
        "signatures": [signature_record(s) for s in entry.signatures.all()],
        "acceptance": (
            {"kind": acceptance.kind, "at": iso_ms(acceptance.accepted_at)} if acceptance else None
        ),
    }


def write_records(
    handle: IO[bytes],
    *,
    header: dict[str, Any],
    keys: Iterable[dict[str, Any]],
    checkpoints: Iterable[dict[str, Any]],
    entries: Iterable[dict[str, Any]],
    progress: Callable[[int], None] | None = None,
) -> int:
    handle.write(_line(header))
    for record in keys:
        handle.write(_line(record))
    for record in checkpoints:
        handle.write(_line(record))
    count = 0
    for record in entries:
        handle.write(_line(record))
        count += 1
        if progress and count % 1000 == 0:
            progress(1000)
    if progress:
        progress(count % 1000)
    return count


def _entries(logbook: Logbook, up_to: int) -> Iterator[dict[str, Any]]:
    queryset = (
        Entry.objects.filter(logbook=logbook, number__lte=up_to)
        .select_related("logbook", "references", "acceptance")
        .prefetch_related("signatures__key")
        .order_by("number")
    )
    for entry in queryset.iterator(chunk_size=2000):
        yield entry_record(entry)


def export_logbook(
    logbook: Logbook,
    handle: IO[bytes],
    *,
    now: dt.datetime,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Sign a checkpoint for this export, then write the file. Returns the entry count."""
    checkpoint = services.sign_checkpoint(logbook=logbook, now=now)
    logbook.refresh_from_db()
    header = {
        "format": FORMAT,
        "logbook": {
            "uid": str(logbook.uid),
            "title": logbook.title,
            "kind": logbook.kind,
            "organisation": str(logbook.organisation) if logbook.organisation_id else None,
            "contract_reference": logbook.contract_reference,
            "countersign_days": logbook.countersign_days,
        },
        "exported_at": iso_ms(now),
        "checkpoint": checkpoint_record(checkpoint),
    }
    key_ids = set(
        Signature.objects.filter(entry__logbook=logbook).values_list("key_id", flat=True)
    ) | {checkpoint.key_id}
    key_ids |= set(logbook.checkpoints.values_list("key_id", flat=True))
    keys = SigningKey.objects.filter(pk__in=key_ids).select_related("user").order_by("id")
    earlier = (
        logbook.checkpoints.exclude(pk=checkpoint.pk)
        .select_related("key")
        .order_by("created_at", "id")
    )
    return write_records(
        handle,
        header=header,
        keys=[key_record(k) for k in keys],
        checkpoints=[checkpoint_record(cp) for cp in earlier],
        entries=_entries(logbook, checkpoint.number),
        progress=progress,
    )
