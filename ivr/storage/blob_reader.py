"""A file kept in the database, read as a seekable stream that fetches its chunks lazily.

Each chunk is fetched in its own short transaction on a pooled connection, returned
before the bytes are handed on: a response streaming a recording to a slow player holds
no connection and no transaction between chunks, and a range request fetches only the
chunks it touches. The chunk last fetched is kept, so small sequential reads (the sealed
reader's 64 KiB pieces of a 256 KiB chunk) fetch each chunk once.
"""

from __future__ import annotations

import io

from sqlalchemy import Engine, select

from models import StoredChunk


class StoredFileChanged(OSError):
    """The file was replaced or removed while it was being read."""


class BlobReader(io.RawIOBase):
    def __init__(self, engine: Engine, blob_id: int, size: int, chunk_size: int) -> None:
        self._engine = engine
        self.blob_id = blob_id
        self.size = size
        self.chunk_size = chunk_size
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None
        self.fetches = 0  # chunks fetched from the database so far

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

    def _chunk(self, ordinal: int) -> bytes:
        if self._cached and self._cached[0] == ordinal:
            return self._cached[1]
        with self._engine.connect() as connection:
            data = connection.scalar(
                select(StoredChunk.data).where(
                    StoredChunk.blob_id == self.blob_id, StoredChunk.ordinal == ordinal
                )
            )
        self.fetches += 1
        expected = min(self.chunk_size, self.size - ordinal * self.chunk_size)
        if data is None or len(data) != expected:
            raise StoredFileChanged(f"stored file {self.blob_id} changed while it was read")
        self._cached = (ordinal, bytes(data))
        return self._cached[1]

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        """Fill ``buffer`` as far as the file goes, across chunks: the sealed reader asks
        for a whole sealed piece at once and takes a short read for a damaged file."""
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < len(view) and self._pos < self.size:
            ordinal, offset = divmod(self._pos, self.chunk_size)
            piece = self._chunk(ordinal)[offset : offset + len(view) - filled]
            view[filled : filled + len(piece)] = piece
            filled += len(piece)
            self._pos += len(piece)
        return filled

    def close(self) -> None:
        self._cached = None
        super().close()
