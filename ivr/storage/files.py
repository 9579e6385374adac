"""The local folder (``IVR_STORAGE_DIR``): the default backend, for one machine.

A key is a path under the folder; a file is written private (0600, folders 0700) under a
temporary name beside its target, flushed to disk and renamed into place, so it is whole
or absent. Nothing outside the folder is ever read or removed, whatever a key says.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ivr.privacy.sealed import MAGIC, is_sealed
from ivr.storage.backend import Keys, Opened, Storage, check_key, valid_key


class FileStorage(Storage):
    name = "files"

    def __init__(self, root: Path, keys: Keys = None) -> None:
        super().__init__(keys)
        self.root = Path(root)

    def path_of(self, key: str | None) -> Path | None:
        """The file ``key`` names, only ever inside the folder; None when the key is not
        valid, leads outside, or names no file."""
        if not valid_key(key):
            return None
        root = self.root.resolve()
        path = (root / str(key)).resolve()
        if root not in path.parents or not path.is_file():
            return None
        return path

    def open_stored(self, key: str | None) -> Opened | None:
        path = self.path_of(key)
        if path is None:
            return None
        try:
            handle = path.open("rb")
        except FileNotFoundError:  # removed since it was found
            return None
        stat = os.fstat(handle.fileno())
        return Opened(
            handle,
            stat.st_size,
            datetime.fromtimestamp(stat.st_mtime, UTC),
            f"{key}:{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}",
        )

    def write_stored(self, key: str, pieces: Iterable[bytes]) -> None:
        target = self.root / check_key(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
        try:
            with os.fdopen(fd, "wb") as handle:
                for piece in pieces:
                    handle.write(piece)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def stored_size(self, key: str | None) -> int | None:
        path = self.path_of(key)
        return None if path is None else path.stat().st_size

    def remove(self, key: str | None) -> bool:
        path = self.path_of(key)
        if path is None:
            return False
        path.unlink(missing_ok=True)
        return True

    def stored_keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder, _dirs, names in os.walk(self.root):
            for name in names:
                if name.startswith(".") or name.endswith((".part", ".sealing")):
                    continue  # a write in progress, or one stopped half-way
                yield (Path(folder) / name).relative_to(self.root).as_posix()

    @contextmanager
    def local_copy(self, key: str | None) -> Iterator[Path | None]:
        """A plain file is its own local copy; a sealed one is decrypted to a private one."""
        path = self.path_of(key)
        if path is not None:
            with path.open("rb") as handle:
                plain = not is_sealed(handle.read(len(MAGIC)))
            if plain:
                yield path
                return
        with super().local_copy(key) as copy:
            yield copy
