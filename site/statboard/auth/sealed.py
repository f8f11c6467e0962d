"""Secrets the site must read again, kept sealed in the database.

A notification channel's Apprise URL may hold a token or a password, and the site
needs it as it was to send a note, so it cannot be hashed as passwords and API tokens
are. It is kept encrypted and authenticated (Fernet: AES-128-CBC and HMAC-SHA256)
under a key derived from SECRET_KEY: a copy of the database alone reveals nothing.

    seal("slack://T/B/secret")   -> "sealed:v1:gAAAAA..."
    unseal(stored)               -> the text, or None when another key sealed it

Every process that shares the database shares SECRET_KEY already (`flask check` asks
for it); a site whose SECRET_KEY changed can no longer read what it sealed before,
and says so where the value is used.
"""

import base64
import hashlib

PREFIX = "sealed:v1:"


def _fernet(secret_key: str):
    from cryptography.fernet import Fernet  # only where a sealed value is used

    digest = hashlib.sha256(b"statboard sealed values\0" + str(secret_key).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(text: str, secret_key: str) -> str:
    return PREFIX + _fernet(secret_key).encrypt(text.encode()).decode()


def unseal(stored: str, secret_key: str) -> str | None:
    """The sealed text; None when it was sealed under another key (or tampered with).
    A value stored before sealing existed is returned as it is."""
    from cryptography.fernet import InvalidToken

    if not is_sealed(stored):
        return stored
    try:
        return _fernet(secret_key).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        return None


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)
