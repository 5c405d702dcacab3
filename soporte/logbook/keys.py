"""Per-person Ed25519 keys, private halves encrypted at rest with AES-GCM.

The key-encryption key is derived (HKDF-SHA256) from LOGBOOK_KEY_SECRET, or SECRET_KEY when
that is unset; the key id is bound as associated data so a ciphertext cannot be moved to
another key row. A key's id is its fingerprint (format 2).

The desk's key belongs to the system signer: a named, non-login account ("Sistema de la
mesa") that signs what no person does (checkpoints, tacit acceptances, key certifications,
automatic escalations), so nothing is signed by whichever administrator comes first.
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
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from soporte.directory.models import Role, User
from soporte.logbook.chain import fingerprint, public_key_hex
from soporte.logbook.models import SigningKey

# Not a valid username for a person (":" fails Django's username validator), so no one can
# register it or sign in as it.
SYSTEM_USERNAME = "soporte:sistema"


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


def _create_key(
    *, user: User | None, now: dt.datetime, replaces: SigningKey | None = None
) -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    public_hex = public_key_hex(private_key)
    key_id = fingerprint(public_hex)
    return SigningKey.objects.create(
        user=user,
        is_desk=user is None,
        key_id=key_id,
        public_key=public_hex,
        encrypted_private_key=encrypt_private_key(private_key, key_id),
        created_at=now,
        replaces=replaces,
    )


def current_key(user: User) -> SigningKey | None:
    """The person's newest key: the one that has not been replaced."""
    return (
        SigningKey.objects.filter(user=user, replaced_by__isnull=True)
        .order_by("-created_at", "-id")
        .first()
    )


def key_for_user(user: User, *, now: dt.datetime) -> SigningKey:
    if is_system_signer(user):
        return desk_key(now=now)
    key = current_key(user)
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _create_key(user=user, now=now)
    except IntegrityError:  # another request created it first
        key = current_key(user)
        assert key is not None
        return key


def rotate_key(user: User, *, now: dt.datetime) -> SigningKey:
    """A new key for the person; the old one signs nothing more. Each logbook certifies the new
    key (a `keys` entry) the first time it is used there."""
    old = key_for_user(user, now=now)
    with transaction.atomic():
        return _create_key(user=user, now=now, replaces=old)


def system_signer() -> User:
    """The desk's named system signer (created on first use; it cannot sign in)."""
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is not None:
        return user
    try:
        # Its name is signed into entries for good: in the desk's language.
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
            return User.objects.create(
                username=SYSTEM_USERNAME,
                first_name=_("Sistema de la mesa"),
                last_name="",
                role=Role.AGENT,
                is_active=False,
                password=make_password(None),
            )
    except IntegrityError:
        return User.objects.get(username=SYSTEM_USERNAME)


def is_system_signer(user: User) -> bool:
    return user.username == SYSTEM_USERNAME


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
