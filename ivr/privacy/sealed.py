"""Sealed files: a recording encrypted at rest with AES-GCM, in chunks, so that neither
writing nor reading needs the whole file in memory, and any byte range can be read by
decrypting only the chunks it touches.

Layout: a 36-byte header — ``IVRSEAL1``, the key id (8 bytes), the chunk size (4), the
plain size (8), a random nonce prefix (8) — then each chunk's ciphertext and 16-byte tag.
Chunk *i*'s nonce is the prefix and *i*; the header is every chunk's associated data, so
a chunk moved, a size changed or a key id swapped fails authentication.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag

from ivr.privacy.keys import KeyRing, StorageKey

MAGIC = b"IVRSEAL1"
HEADER = struct.Struct("!8s8sIQ8s")
CHUNK = 64 * 1024
TAG = 16


class SealBroken(ValueError):
    """The file does not authenticate: damaged, truncated or tampered with."""


def is_sealed(head: bytes) -> bool:
    return head[: len(MAGIC)] == MAGIC


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack("!I", index)


def seal(source: BinaryIO, size: int, key: StorageKey, chunk: int = CHUNK) -> Iterator[bytes]:
    """The sealed form of ``size`` bytes read from ``source``, piece by piece."""
    prefix = os.urandom(8)
    header = HEADER.pack(MAGIC, key.id, chunk, size, prefix)
    yield header
    index, left = 0, size
    while left > 0:
        plain = _read_exactly(source, min(chunk, left))
        yield key.aead.encrypt(_nonce(prefix, index), plain, header)
        left -= len(plain)
        index += 1


def _read_exactly(source: BinaryIO, wanted: int) -> bytes:
    """Every chunk but the last must be whole; a stream may hand over less per read."""
    parts, got = [], 0
    while got < wanted:
        piece = source.read(wanted - got)
        if not piece:
            raise SealBroken("the source ended before its size")
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


class ChunkedReader(io.RawIOBase):
    """A seekable stream over content kept in chunks of ``chunk_size`` bytes (the last one
    shorter), each fetched when first read and the last one kept, so small sequential
    reads fetch a chunk once. Subclasses say how a chunk is fetched (``_fetch``)."""

    def __init__(self, size: int, chunk_size: int) -> None:
        self.size = size
        self.chunk_size = chunk_size
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _fetch(self, index: int) -> bytes:
        raise NotImplementedError

    def _chunk(self, index: int) -> bytes:
        if self._cached is None or self._cached[0] != index:
            self._cached = (index, self._fetch(index))
        return self._cached[1]

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        """Fill ``buffer`` as far as the content goes, across chunks."""
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < len(view) and self._pos < self.size:
            index, offset = divmod(self._pos, self.chunk_size)
            piece = self._chunk(index)[offset : offset + len(view) - filled]
            view[filled : filled + len(piece)] = piece
            filled += len(piece)
            self._pos += len(piece)
        return filled

    def close(self) -> None:
        self._cached = None
        super().close()


class SealedReader(ChunkedReader):
    """A sealed file read as its plain content: seekable, decrypting chunk by chunk."""

    def __init__(self, handle: BinaryIO, ring: KeyRing) -> None:
        self._handle = handle
        self._header = handle.read(HEADER.size)
        if len(self._header) != HEADER.size or not is_sealed(self._header):
            raise SealBroken("not a sealed file")
        _magic, kid, chunk_size, size, self._prefix = HEADER.unpack(self._header)
        super().__init__(size, chunk_size)
        self.key_id = kid
        self._key = ring.find(kid)

    def _fetch(self, index: int) -> bytes:
        self._handle.seek(HEADER.size + index * (self.chunk_size + TAG))
        expected = min(self.chunk_size, self.size - index * self.chunk_size) + TAG
        sealed = self._handle.read(expected)
        if len(sealed) != expected:
            raise SealBroken("the file is shorter than its header says")
        try:
            return self._key.aead.decrypt(_nonce(self._prefix, index), sealed, self._header)
        except InvalidTag:
            raise SealBroken(f"chunk {index} does not authenticate") from None

    def read_all(self) -> bytes:
        self.seek(0)
        return b"".join(iter(lambda: self.read(self.chunk_size), b""))

    def close(self) -> None:
        self._handle.close()
        super().close()


def write_sealed(target: Path, source: BinaryIO, size: int, key: StorageKey) -> None:
    """Seal ``size`` bytes of ``source`` into ``target``, atomically, mode 0600."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = target.with_name(target.name + ".sealing")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in seal(source, size, key):
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
