"""Files the application keeps for rows (recordings, prompts): written privately and
atomically, and found again only inside the storage directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO


def write_private(target: Path, data: bytes) -> None:
    """Write a new file atomically (whole or not at all), readable by this user alone."""
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


def open_stored(storage_dir: Path, relative: str | None, keys: object = None) -> BinaryIO | None:
    """The stored file's content as a readable binary stream, or None (see ``stored_file``)."""
    path = stored_file(storage_dir, relative)
    if path is None:
        return None
    return path.open("rb")
