"""What every storage backend offers, and the rules they share.

A backend keeps files under keys — the relative names rows hold (``storage_path``), so a
row means the same file whichever backend holds it. Each backend implements a few
primitives on the bytes *as stored* (open, replace atomically, size, remove); this class
builds the rest on them the same way for all: sealing on write when keys are configured
(``ivr.privacy.sealed``, the same format in a folder and in the database), decrypting on
read, re-sealing under a new key, a private local copy for decoders that want a path.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from ivr.privacy.keys import KeyMissing, KeyRing
from ivr.privacy.sealed import MAGIC, SealedReader, is_sealed, seal

Keys = Any  # a KeyRing, or IVR_STORAGE_KEYS as configured (a tuple of str), or None
COPY_BUFFER = 256 * 1024


class StoredKeyInvalid(ValueError):
    """A key that is not a plain relative name (empty, absolute, ``..``, a backslash)."""


def valid_key(key: str | None) -> bool:
    """Whether ``key`` is a relative name inside the store: what rows hold."""
    if not key or "\\" in key or "\x00" in key:
        return False
    path = PurePosixPath(key)
    return not path.is_absolute() and all(part not in ("", ".", "..") for part in key.split("/"))


def check_key(key: str) -> str:
    if not valid_key(key):
        raise StoredKeyInvalid(f"{key!r} is not a relative name inside the store")
    return key


@dataclass
class Opened:
    """A stored file opened for reading: a seekable stream and what serving it needs."""

    stream: BinaryIO
    size: int  # bytes the stream yields
    modified: datetime
    version: str  # changes whenever the stored bytes do (an ETag's seed)
    sealed_with: bytes | None = None  # the key id, when the stored bytes are sealed

    def read(self) -> bytes:
        self.stream.seek(0)
        return self.stream.read()

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> Opened:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class Storage(ABC):
    """Recordings and prompts, kept under their keys; see the module doc."""

    name: str  # what IVR_STORAGE_BACKEND calls it

    def __init__(self, keys: Keys = None) -> None:
        self.keys = KeyRing.of(keys)

    # The primitives, on the bytes as stored.

    @abstractmethod
    def open_stored(self, key: str | None) -> Opened | None:
        """The bytes as stored (sealed ones sealed); None when missing or not a valid key."""

    @abstractmethod
    def write_stored(self, key: str, pieces: Iterable[bytes]) -> None:
        """Store the concatenated ``pieces`` under ``key``, replacing any file there:
        whole or not at all, and readers see the old file or the new one."""

    @abstractmethod
    def stored_size(self, key: str | None) -> int | None:
        """Bytes as stored under ``key``; None when there is no such file."""

    @abstractmethod
    def remove(self, key: str | None) -> bool:
        """Delete the file under ``key`` (retention, erasure); True if there was one."""

    @abstractmethod
    def stored_keys(self) -> Iterator[str]:
        """Every key held, in no particular order (files half-written are not keys)."""

    # Built on them, the same for every backend.

    def exists(self, key: str | None) -> bool:
        return self.stored_size(key) is not None

    def write(self, key: str, data: bytes, *, sealed: bool = True) -> None:
        """Store ``data`` atomically; sealed with the current key when there is one and
        ``sealed`` (prompts are not: every caller hears them)."""
        check_key(key)
        current = self.keys.current if sealed else None
        if current is None:
            self.write_stored(key, [data])
            return
        self.write_stored(key, seal(io.BytesIO(data), len(data), current))

    def open(self, key: str | None) -> Opened | None:
        """The plain content as a seekable stream: decrypted as it is read when sealed
        (``KeyMissing`` without its key); None when there is no such file."""
        raw = self.open_stored(key)
        if raw is None:
            return None
        try:
            head = raw.stream.read(len(MAGIC))
            raw.stream.seek(0)
            if not is_sealed(head):
                return raw
            reader = SealedReader(raw.stream, self.keys)
        except BaseException:
            raw.close()
            raise
        return Opened(reader, reader.size, raw.modified, raw.version, reader.key_id)  # type: ignore[arg-type]

    def read(self, key: str | None) -> bytes | None:
        """The whole plain content, or None when there is no such file."""
        opened = self.open(key)
        if opened is None:
            return None
        with opened:
            return opened.read()

    def reseal(self, key: str | None) -> bool | None:
        """Rewrite the file sealed with the current key, atomically: True when rewritten,
        False when it already was, None when there is no such file."""
        current = self.keys.current
        if current is None:
            raise KeyMissing("IVR_STORAGE_KEYS is not set: there is no key to encrypt with")
        opened = self.open(key)
        if opened is None:
            return None
        with opened:
            if opened.sealed_with == current.id:
                return False
            assert key is not None
            self.write_stored(key, seal(opened.stream, opened.size, current))
        return True

    @contextmanager
    def local_copy(self, key: str | None) -> Iterator[Path | None]:
        """A local file of the plain content, for decoders that want a path (ffmpeg):
        private (mode 0600) and deleted afterwards. None when there is no such file."""
        opened = self.open(key)
        if opened is None:
            yield None
            return
        suffix = PurePosixPath(key or "").suffix
        with opened, tempfile.NamedTemporaryFile(prefix="ivr-stored-", suffix=suffix) as copy:
            shutil.copyfileobj(opened.stream, copy, COPY_BUFFER)
            copy.flush()
            yield Path(copy.name)
