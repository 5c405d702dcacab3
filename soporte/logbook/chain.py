"""Canonical bytes, the two hash chains and Ed25519 helpers shared by the app and the verifier.

Nothing here imports Django: `soporte logbook verify` checks an export with only this module,
the standard library and `cryptography` (and `rfc3161-client` for time-stamp tokens).

Entry chain: h_0 = 32 zero bytes; h_i = SHA-256(h_{i-1} ‖ canonical_bytes(content_i)), where
the canonical bytes are the entry's content as compact JSON with sorted keys, UTF-8
(research/domain.md §3.3 test vector: {"folio":1}, {"folio":2} → e7935…, dfe5a…).

Attestation chain (format 2): what is signed after an entry exists (a countersignature, a tacit
acceptance) is a statement that names the entry's hash and the previous attestation's hash;
a_0 = 64 zeros, a_k = SHA-256(canonical_bytes(statement_k)). README.md, "How the bitácora is
built", is the whole construction.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GENESIS_HASH = "0" * 64


def canonical_bytes(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical).hexdigest()


def iso_ms(moment: dt.datetime) -> str:
    """UTC with millisecond precision: the form stored, hashed and signed."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def truncate_ms(moment: dt.datetime) -> dt.datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def public_key_hex(private_key: Ed25519PrivateKey) -> str:
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def key_id_for(public_hex: str) -> str:
    """Format 1's key id: the first 16 hex digits of the fingerprint."""
    return fingerprint(public_hex)[:16]


def fingerprint(public_hex: str) -> str:
    """A key's id from format 2 on: SHA-256 of the raw 32-byte Ed25519 public key, hex."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()


def grouped(fp: str) -> str:
    """A fingerprint as people compare it: groups of four, e.g. on the contract's PDF."""
    return " ".join(fp[i : i + 4] for i in range(0, len(fp), 4))


def sign(private_key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message)).decode()


def load_public_key(public_hex: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))


def signature_valid(public_key: Ed25519PublicKey, signature_b64: str, message: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def checkpoint_message(logbook_uid: str, number: int, head_hash: str, created_at: str) -> bytes:
    return f"soporte-checkpoint/1\n{logbook_uid}\n{number}\n{head_hash}\n{created_at}\n".encode()


# --- Format 2 -----------------------------------------------------------------------------

FORMAT_2 = "soporte-logbook/2"
CHECKPOINT_FORMAT_2 = "soporte-checkpoint/2"
# Parts of a record that are not part of its signed statement: the signature itself, the bytes
# of a drawn signature (the statement names their SHA-256) and a time-stamp token (it signs
# the statement's digest itself).
UNSIGNED_PARTS = frozenset({"signature", "drawing", "timestamp"})
HINT_DIGITS = 4


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_message(entry_hash: str) -> bytes:
    """What an entry's author signs: the entry's hash, which covers its content and, through
    the previous hash, everything before it."""
    return f"soporte-entry/2\n{entry_hash}\n".encode()


def statement(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in UNSIGNED_PARTS}


def statement_bytes(record: dict[str, Any]) -> bytes:
    """The signed bytes of an attestation or checkpoint record: the record without its
    signature, drawing and time-stamp token, canonical."""
    return canonical(statement(record))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def elements(record: dict[str, Any]) -> list[tuple[str, Any]]:
    """The named elements of a record, sorted by name: each top-level value, and each field of
    `fields` on its own (so a change names the field)."""
    found: list[tuple[str, Any]] = []
    for key, value in record.items():
        if key == "hints" or key in UNSIGNED_PARTS:
            continue
        if key == "fields" and isinstance(value, dict):
            found += [(f"fields.{name}", item) for name, item in value.items()]
        else:
            found.append((key, value))
    return sorted(found, key=lambda pair: pair[0])


def hints_for(record: dict[str, Any]) -> str:
    """Four hex digits of each element's SHA-256, in element order. They are part of the signed
    (and hashed) bytes, so they cannot be changed unnoticed; a verifier reads them only when a
    hash or a signature fails, to name the element that changed."""
    return "".join(sha256_hex(canonical(value))[:HINT_DIGITS] for _name, value in elements(record))


def changed_elements(record: dict[str, Any]) -> list[str] | None:
    """Names of the elements whose value no longer matches its hint; None when the set of
    elements itself changed (one added or removed) and no single element can be named."""
    hints = record.get("hints")
    found = elements(record)
    if not isinstance(hints, str) or len(hints) != HINT_DIGITS * len(found):
        return None
    return [
        name
        for i, (name, value) in enumerate(found)
        if sha256_hex(canonical(value))[:HINT_DIGITS]
        != hints[i * HINT_DIGITS : (i + 1) * HINT_DIGITS]
    ]


def b64(data: bytes | memoryview | None) -> str | None:
    return base64.b64encode(bytes(data)).decode() if data else None


def legacy_signature_record(sig: Any) -> dict[str, Any]:
    """A format-1 signature (its signature covers the entry's content only); `sig` is a
    logbook Signature row (read by attribute: this module does not import Django)."""
    return {
        "key": sig.key.fingerprint,
        "signer": {"id": sig.signer_id, "name": sig.signer_name},
        "role": sig.role,
        "method": sig.method,
        "signed_at": iso_ms(sig.signed_at),
        "signature": sig.signature,
        "drawing_sha256": sha256_hex(bytes(sig.drawn_png)) if sig.drawn_png else None,
        "drawing": b64(sig.drawn_png),
    }
