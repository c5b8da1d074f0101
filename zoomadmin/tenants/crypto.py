"""Secrets at rest: OAuth access and refresh tokens, the OAuth app's client secret and
Server-to-Server client secrets are stored encrypted with Fernet (AES-128-CBC + HMAC-SHA256,
from the ``cryptography`` package), so that a database dump alone reveals no usable secret.

Keys come from ``settings.ZOOM_ENCRYPTION_KEYS`` (Fernet keys, newest first). When it is empty, a
key is derived from ``SECRET_KEY`` (and one per ``SECRET_KEY_FALLBACKS`` entry, read from
``DJANGO_SECRET_KEY_FALLBACKS``, so rotating the Django secret key the documented way keeps old
values readable); the derived keys are tried after the explicit ones. Encryption always uses the first
key; decryption tries every key (``MultiFernet``), and :func:`rotate` re-encrypts a value with the
first key, which is how a key is retired.

Stored values carry the prefix ``fernet:``. It makes encryption idempotent (an instance loaded
from the database and saved again is not encrypted twice) and lets a data migration tell legacy
plaintext from ciphertext.

The columns are encrypted by a ``pre_save`` hook on the models listed in ``ENCRYPTED_FIELDS``
(allauth's own models included), so every way of saving them is covered: allauth's connect flow,
the admin, services and the shell. Model instances therefore hold ciphertext after a save and
after a load alike; read a value with :func:`decrypt`.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import pre_save

PREFIX = "fernet:"

# "app_label.ModelName" -> the text columns that hold secrets.
ENCRYPTED_FIELDS: dict[str, tuple[str, ...]] = {
    # token = OAuth2 access token, token_secret = refresh token (allauth's parse_token).
    "socialaccount.SocialToken": ("token", "token_secret"),
    "socialaccount.SocialApp": ("secret",),
    "tenants.ServerToServerCredential": ("client_secret", "access_token"),
}


class SecretUnavailable(Exception):
    """A stored secret cannot be decrypted with the configured keys (a key was removed)."""


def encrypt(plaintext: str) -> str:
    """Encrypt with the newest key; ``""`` stays ``""`` (allauth stores empty refresh tokens)."""
    if not plaintext:
        return ""
    if is_encrypted(plaintext):
        raise ValueError("The value is already encrypted.")
    return PREFIX + _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt(value: str) -> str:
    """Decrypt a stored value; ``""`` stays ``""``."""
    if not value:
        return ""
    if not is_encrypted(value):
        # Never hand plaintext through as if it had been stored safely.
        raise SecretUnavailable("The stored value is not encrypted.")
    try:
        return _fernet().decrypt(value[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken:
        raise SecretUnavailable(
            "A stored secret cannot be decrypted with the keys in ZOOM_ENCRYPTION_KEYS."
        ) from None


def rotate(value: str) -> str:
    """Re-encrypt a stored value with the newest key (values already on it are re-encrypted too)."""
    if not value:
        return ""
    if not is_encrypted(value):
        raise SecretUnavailable("The stored value is not encrypted.")
    try:
        token = _fernet().rotate(value[len(PREFIX) :].encode("ascii"))
    except InvalidToken:
        raise SecretUnavailable(
            "A stored secret cannot be decrypted with the keys in ZOOM_ENCRYPTION_KEYS."
        ) from None
    return PREFIX + token.decode("ascii")


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def derive_key(secret: str) -> bytes:
    """A Fernet key derived from a Django secret key (HKDF-SHA256, purpose-bound info)."""
    raw = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"zoomadmin",
        info=b"zoomadmin secrets at rest v1",
    ).derive(secret.encode())
    return base64.urlsafe_b64encode(raw)


def configured_keys() -> list[bytes]:
    """The keys in use, newest first: ``ZOOM_ENCRYPTION_KEYS``, then the keys derived from
    ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``. Encryption uses the first; the derived keys
    stay readable behind explicit ones, so that setting ``ZOOM_ENCRYPTION_KEYS`` on an existing
    installation and running ``zoom_reencrypt`` moves every value to it."""
    keys = [key.encode() if isinstance(key, str) else key for key in settings.ZOOM_ENCRYPTION_KEYS]
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return keys + [derive_key(secret) for secret in secrets]


def validate_keys() -> None:
    """Raise ImproperlyConfigured unless every configured key is a Fernet key."""
    _fernet()


def _fernet() -> MultiFernet:
    return _multi_fernet(tuple(configured_keys()))


@functools.lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    # Keyed on the key tuple, so override_settings in tests and a changed setting both take effect.
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "ZOOM_ENCRYPTION_KEYS must hold Fernet keys (32 url-safe base64-encoded bytes), "
            "e.g. from cryptography.fernet.Fernet.generate_key()."
        ) from None


def encrypt_fields(instance: Any, fields: Iterable[str]) -> None:
    """Encrypt the named attributes of ``instance`` in place, leaving ciphertext alone."""
    for name in fields:
        value = getattr(instance, name)
        if value and not is_encrypted(value):
            setattr(instance, name, encrypt(value))


def _encrypt_before_save(sender: type, instance: Any, **kwargs: Any) -> None:
    encrypt_fields(instance, ENCRYPTED_FIELDS[sender._meta.label])


def connect_encryption_signals() -> None:
    """Called from AppConfig.ready(): encrypt the ``ENCRYPTED_FIELDS`` of every save."""
    for label in ENCRYPTED_FIELDS:
        pre_save.connect(
            _encrypt_before_save, sender=label, weak=False, dispatch_uid=f"encrypt:{label}"
        )
