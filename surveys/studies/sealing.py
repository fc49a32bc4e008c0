"""Authenticated encryption (AES-256-GCM) under keys derived from SECRET_KEY, one key per purpose.

Two things are sealed: the respondent's state between pages (``respond.state``)
and a submitted response waiting in ``response_buffer`` (``studies.write_out``).
A sealed value is ``nonce (12 random bytes) || ciphertext+tag``: unlike a Fernet
token it carries no clear timestamp or version counter; anything time-related
(the state's expiry) goes inside the ciphertext. Keys come from HKDF-SHA256 over
SECRET_KEY with a distinct ``purpose`` label, so no sealed value of one kind
opens as another, and none equals any other use of the secret (session signing).
"""
from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

NONCE_BYTES = 12
_keys: dict[tuple[str, bytes], AESGCM] = {}


class SealError(ValueError):
    """The sealed value is malformed, altered, or was sealed under another key or purpose."""


def sealer(purpose: bytes, secret: str | None = None) -> AESGCM:
    """The AES-GCM cipher for ``purpose`` under ``secret`` (default: the app's SECRET_KEY)."""
    key_source = str(secret if secret is not None else current_app.config["SECRET_KEY"])
    cache_key = (key_source, purpose)
    cipher = _keys.get(cache_key)
    if cipher is None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key_source.encode())
        cipher = _keys[cache_key] = AESGCM(key)
    return cipher


def seal(plain: bytes, purpose: bytes, secret: str | None = None) -> bytes:
    """``plain`` encrypted and authenticated for ``purpose``: random nonce, then ciphertext and tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + sealer(purpose, secret).encrypt(nonce, plain, purpose)


def unseal(sealed: bytes, purpose: bytes, secret: str | None = None) -> bytes:
    """The plaintext of a value ``seal`` made for ``purpose``; ``SealError`` for anything else."""
    if len(sealed) < NONCE_BYTES + 16:
        raise SealError("too short")
    try:
        return sealer(purpose, secret).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], purpose)
    except InvalidTag as exc:
        raise SealError("altered or foreign") from exc
