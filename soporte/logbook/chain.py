"""Canonical bytes, the hash chain and Ed25519 helpers shared by the app and the verifier.

Nothing here imports Django: `soporte logbook verify` checks an export with only this module,
the standard library and `cryptography`.

Chain: h_0 = 32 zero bytes; h_i = SHA-256(h_{i-1} ‖ canonical_bytes(entry_i)), where the
canonical bytes are the entry's content as compact JSON with sorted keys, UTF-8
(research/domain.md §3.3 test vector: {"folio":1}, {"folio":2} → e7935…, dfe5a…).
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
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


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
