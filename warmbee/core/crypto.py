"""Encryption at rest for high-risk fields, and blind indexes for exact look-up (R24).

* :func:`encrypt` / :func:`decrypt`: AES-256-GCM (AEAD) with a key derived from one of
  ``settings.FIELD_ENCRYPTION_KEYS`` (HKDF-SHA256). The first key encrypts; every key listed
  decrypts, so a key is rotated by putting the new one first and running
  ``manage.py rotate_field_keys``. The stored token is ``v1.<key id>.<base64(nonce ‖ ciphertext)>``;
  the key id is a short fingerprint of the key, never the key. The field's name is bound in as
  associated data, so a ciphertext copied into another column does not decrypt.
* :func:`blind_index`: HMAC-SHA256 with ``settings.BLIND_INDEX_KEY`` over the normalised value,
  for "is this ID number already registered?" and de-duplication without decrypting anything.

:class:`EncryptedTextField` is a model field that stores the token and gives Python the plain
value. The keys live outside the database (environment or the data directory's ``keys/``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

VERSION = "v1"
NONCE_BYTES = 12


class DecryptionError(RuntimeError):
    """A stored value that no configured key opens (wrong key, or tampered)."""


@lru_cache(maxsize=16)
def _derive(secret: str) -> tuple[str, AESGCM]:
    raw = secret.encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"warmbee-field-v1", info=b"aes-256-gcm"
    ).derive(raw)
    key_id = hashlib.sha256(b"warmbee-key-id:" + raw).hexdigest()[:8]
    return key_id, AESGCM(key)


def _keys() -> list[tuple[str, AESGCM]]:
    return [_derive(secret) for secret in settings.FIELD_ENCRYPTION_KEYS]


def current_key_id() -> str:
    return _keys()[0][0]


def encrypt(value: str, *, context: str) -> str:
    key_id, aead = _keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = aead.encrypt(nonce, value.encode(), context.encode())
    return f"{VERSION}.{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(token: str, *, context: str) -> str:
    try:
        version, key_id, body = token.split(".", 2)
        blob = base64.urlsafe_b64decode(body.encode())
    except (ValueError, TypeError):
        raise DecryptionError("not an encrypted value") from None
    if version != VERSION:
        raise DecryptionError(f"unknown version {version!r}")
    for kid, aead in _keys():
        if kid == key_id:
            try:
                return aead.decrypt(
                    blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode()
                ).decode()
            except Exception:
                raise DecryptionError("the value does not open with its key") from None
    raise DecryptionError(f"no configured key has id {key_id}")


def seal(data: bytes, *, context: str) -> bytes:
    """``data`` encrypted with the current key (a file's worth; ``encrypt`` is for fields)."""
    key_id, aead = _keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    return f"{VERSION}.{key_id}.".encode() + nonce + aead.encrypt(nonce, data, context.encode())


def unseal(blob: bytes, *, context: str) -> bytes:
    try:
        version, key_id, body = blob.split(b".", 2)
    except ValueError:
        raise DecryptionError("not a sealed value") from None
    if version.decode(errors="replace") != VERSION:
        raise DecryptionError("unknown version")
    for kid, aead in _keys():
        if kid.encode() == key_id:
            try:
                return aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], context.encode())
            except Exception:
                raise DecryptionError("the value does not open with its key") from None
    raise DecryptionError("no configured key opens it")


def key_id_of(token: str) -> str:
    return token.split(".", 2)[1] if token.count(".") >= 2 else ""


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash of ``value`` for exact look-up; ``purpose`` separates different fields."""
    key = hmac.new(settings.BLIND_INDEX_KEY.encode(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column stored as an AES-GCM token; Python sees the plain value (or "").

    ``context`` is bound into every token (default ``<app_label>.<model>.<field>``). Never filter
    on this column: use the blind index beside it.
    """

    def __init__(self, *args, context: str | None = None, **kwargs):
        self.context = context
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.context is not None:
            kwargs["context"] = self.context
        return name, path, args, kwargs

    def _context(self) -> str:
        return self.context or f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return decrypt(value, context=self._context())

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return ""
        return encrypt(str(value), context=self._context())
