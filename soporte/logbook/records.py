"""How a checkpoint reads in an export and in what the customer keeps.

Below services, export, tsa and handout, which all need it (services signs the statement,
tsa stamps it, handout mails it, export writes it): only the chain helpers and the models.
"""

from __future__ import annotations

from typing import Any

from soporte.logbook.chain import b64, hints_for, iso_ms
from soporte.logbook.models import Checkpoint, Logbook


def checkpoint_statement(cp: Checkpoint, logbook: Logbook) -> dict[str, Any]:
    """A format-2 checkpoint's statement, signed by the desk's key."""
    record: dict[str, Any] = {
        "type": "checkpoint",
        "v": 2,
        "logbook": str(logbook.uid),
        "entries": cp.number,
        "entry_head": cp.head_hash,
        "attestations": cp.att_number,
        "attestation_head": cp.att_hash,
        "created_at": iso_ms(cp.created_at),
        "key": cp.key.fingerprint,
        "tsa_ca": cp.tsa_ca or None,
    }
    record["hints"] = hints_for(record)
    return record


def checkpoint_record(cp: Checkpoint) -> dict[str, Any]:
    if cp.version < 2:
        return {
            "type": "checkpoint",
            "v": 1,
            "number": cp.number,
            "head_hash": cp.head_hash,
            "created_at": iso_ms(cp.created_at),
            "key": cp.key.fingerprint,
            "signature": cp.signature,
        }
    record = checkpoint_statement(cp, cp.logbook)
    record["signature"] = cp.signature
    stamp = getattr(cp, "timestamp", None)
    if stamp is not None:
        record["timestamp"] = {
            "response": b64(stamp.response),
            "ca": b64(stamp.ca_certificate),
        }
    return record
