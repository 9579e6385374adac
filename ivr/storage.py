"""Files the application keeps for rows (recordings, prompts): written privately and
atomically, and found again only inside the storage directory.

Given keys (``IVR_STORAGE_KEYS``), a file is written sealed (``ivr.privacy.sealed``:
AES-GCM in chunks); reading detects the header, so files written before keys were set,
or without keys (prompts), keep working."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, BinaryIO

from ivr.privacy.keys import KeyMissing, KeyRing
from ivr.privacy.sealed import MAGIC, SealedReader, is_sealed, write_sealed

Keys = Any  # a KeyRing, or IVR_STORAGE_KEYS as configured (a tuple of str), or None


def write_private(target: Path, data: bytes, keys: Keys = None) -> None:
    """Write a new file atomically (whole or not at all), readable by this user alone;
    sealed with the current key when ``keys`` has one."""
    ring = KeyRing.of(keys)
    if ring.current is not None:
        write_sealed(target, io.BytesIO(data), len(data), ring.current)
        return
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = target.with_suffix(".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)


def stored_file(storage_dir: Path, relative: str | None) -> Path | None:
    """The file a row names (``storage_path``), only ever inside the storage directory;
    None when the row names none, or it is missing, or the name leads outside."""
    if not relative:
        return None
    root = Path(storage_dir).resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def remove_stored(storage_dir: Path, relative: str | None) -> bool:
    """Delete the file a row named (retention, erasure); True if one was removed."""
    path = stored_file(storage_dir, relative)
    if path is None:
        return False
    path.unlink(missing_ok=True)
    return True


def open_path(path: Path, keys: Keys = None) -> BinaryIO:
    """A stored file's plain content as a seekable stream: decrypted if sealed
    (``KeyMissing`` without its key), else the file itself."""
    handle = path.open("rb")
    if is_sealed(handle.read(len(MAGIC))):
        handle.seek(0)
        try:
            return SealedReader(handle, KeyRing.of(keys))  # type: ignore[return-value]
        except BaseException:
            handle.close()
            raise
    handle.seek(0)
    return handle


def open_stored(storage_dir: Path, relative: str | None, keys: Keys = None) -> BinaryIO | None:
    """The stored file's plain content as a readable stream, or None (see ``stored_file``)."""
    path = stored_file(storage_dir, relative)
    return None if path is None else open_path(path, keys)


def read_stored(storage_dir: Path, relative: str | None, keys: Keys = None) -> bytes | None:
    source = open_stored(storage_dir, relative, keys)
    if source is None:
        return None
    with source:
        return source.read()


def plain_size(source: BinaryIO) -> int:
    if isinstance(source, SealedReader):
        return source.size
    return os.fstat(source.fileno()).st_size


def reseal(path: Path, keys: Keys) -> bool:
    """Rewrite ``path`` sealed with the current key, atomically; False when it already is."""
    ring = KeyRing.of(keys)
    if ring.current is None:
        raise KeyMissing("IVR_STORAGE_KEYS is not set: there is no key to encrypt with")
    with open_path(path, ring) as source:
        if isinstance(source, SealedReader) and source.key_id == ring.current.id:
            return False
        write_sealed(path, source, plain_size(source), ring.current)
    return True
