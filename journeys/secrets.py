"""Encryption at rest for SFMC client secrets.

MultiFernet over a dedicated key list (SFMC_SECRET_KEYS, newest first), independent of SECRET_KEY,
so keys rotate on their own: add a new key in front, run `manage.py rotate_secrets`, drop the old.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored secret cannot be decrypted with any configured key."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.SFMC_SECRET_KEYS])


def encrypt_secret(plaintext: str) -> str:
    """Encrypt a secret with the newest key; the result is a Fernet token (starts with gAAAAA)."""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    """Decrypt a stored secret; raises SecretUnreadable (never returns an empty value)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "the stored secret cannot be decrypted with SFMC_SECRET_KEYS"
        ) from exc


def rotate_secret(token: str) -> str:
    """Re-encrypt a stored secret with the newest key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "the stored secret cannot be decrypted with SFMC_SECRET_KEYS"
        ) from exc
