"""Per-person Ed25519 keys, private halves encrypted at rest with AES-GCM.

The key-encryption key is derived (HKDF-SHA256) from LOGBOOK_KEY_SECRET, or SECRET_KEY when
that is unset; the key id is bound as associated data so a ciphertext cannot be moved to
another key row.
"""

from __future__ import annotations

import datetime as dt
import functools
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction

from soporte.directory.models import User
from soporte.logbook.chain import key_id_for, public_key_hex
from soporte.logbook.models import SigningKey


@functools.cache
def _kek(secret: str) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"soporte-logbook", info=b"signing keys v1"
    ).derive(secret.encode())
    return AESGCM(key)


def _kek_now() -> AESGCM:
    return _kek(getattr(settings, "LOGBOOK_KEY_SECRET", "") or settings.SECRET_KEY)


def encrypt_private_key(private_key: Ed25519PrivateKey, key_id: str) -> bytes:
    nonce = os.urandom(12)
    raw = private_key.private_bytes_raw()
    return nonce + _kek_now().encrypt(nonce, raw, key_id.encode())


def decrypt_private_key(blob: bytes, key_id: str) -> Ed25519PrivateKey:
    blob = bytes(blob)
    raw = _kek_now().decrypt(blob[:12], blob[12:], key_id.encode())
    return Ed25519PrivateKey.from_private_bytes(raw)


def _create_key(*, user: User | None, now: dt.datetime) -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    public_hex = public_key_hex(private_key)
    key_id = key_id_for(public_hex)
    return SigningKey.objects.create(
        user=user,
        is_desk=user is None,
        key_id=key_id,
        public_key=public_hex,
        encrypted_private_key=encrypt_private_key(private_key, key_id),
        created_at=now,
    )


def key_for_user(user: User, *, now: dt.datetime) -> SigningKey:
    key = SigningKey.objects.filter(user=user).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _create_key(user=user, now=now)
    except IntegrityError:  # another request created it first
        return SigningKey.objects.get(user=user)


def desk_key(*, now: dt.datetime) -> SigningKey:
    key = SigningKey.objects.filter(is_desk=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _create_key(user=None, now=now)
    except IntegrityError:
        return SigningKey.objects.get(is_desk=True)


@functools.lru_cache(maxsize=1024)
def _private_key_cached(key_id: str, blob: bytes) -> Ed25519PrivateKey:
    return decrypt_private_key(blob, key_id)


def private_key(key: SigningKey) -> Ed25519PrivateKey:
    return _private_key_cached(key.key_id, bytes(key.encrypted_private_key))
