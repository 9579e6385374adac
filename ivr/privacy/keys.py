"""Keys for recordings at rest: ``IVR_STORAGE_KEYS``, comma-separated base64 of 32 random
bytes each (AES-256). The first encrypts; every one decrypts, so a key can be rotated in
(put the new one first) and out (once ``ivr privacy rotate-key`` has re-encrypted
everything, drop the old one). A file names its key by id: the first 8 bytes of the key's
SHA-256, which reveals nothing of the key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
KEY_ID_BYTES = 8


class StorageKeyError(ValueError):
    """A key that is not base64 of 32 bytes; the message says which one (never the key)."""


class KeyMissing(LookupError):
    """A file was sealed with a key that is not configured (or none is)."""


def decode_key(text: str, position: int = 1) -> bytes:
    raw = text.strip()
    try:
        key = base64.b64decode(
            raw + "=" * (-len(raw) % 4),
            altchars=b"-_" if "-" in raw or "_" in raw else None,
            validate=True,
        )
    except (binascii.Error, ValueError):
        raise StorageKeyError(f"IVR_STORAGE_KEYS: key {position} is not base64") from None
    if len(key) != KEY_BYTES:
        raise StorageKeyError(
            f"IVR_STORAGE_KEYS: key {position} is {len(key)} bytes; expected {KEY_BYTES}"
        )
    return key


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:KEY_ID_BYTES]


def new_key() -> str:
    """A fresh key, as IVR_STORAGE_KEYS wants it."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


@dataclass(frozen=True)
class StorageKey:
    id: bytes
    aead: AESGCM = field(repr=False)


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[StorageKey, ...] = ()

    @property
    def current(self) -> StorageKey | None:
        return self.keys[0] if self.keys else None

    def find(self, wanted: bytes) -> StorageKey:
        for key in self.keys:
            if key.id == wanted:
                return key
        raise KeyMissing(
            f"this file was encrypted with key id {wanted.hex()}, which is not in IVR_STORAGE_KEYS"
            if self.keys
            else "this file is encrypted and IVR_STORAGE_KEYS is not set"
        )

    @staticmethod
    def of(keys: KeyRing | tuple[str, ...] | None) -> KeyRing:
        if isinstance(keys, KeyRing):
            return keys
        return _ring(tuple(keys or ()))


@lru_cache(maxsize=8)
def _ring(texts: tuple[str, ...]) -> KeyRing:
    keys = []
    for position, text in enumerate(texts, start=1):
        raw = decode_key(text, position)
        keys.append(StorageKey(key_id(raw), AESGCM(raw)))
    return KeyRing(tuple(keys))
