"""A file kept in the database, read as a seekable stream that fetches its chunks lazily.

Each chunk is fetched in its own short transaction on a pooled connection, returned
before the bytes are handed on: a response streaming a recording to a slow player holds
no connection and no transaction between chunks, and a range request fetches only the
chunks it touches. The chunk last fetched is kept, so small sequential reads (the sealed
reader's 64 KiB pieces of a 256 KiB chunk) fetch each chunk once.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from ivr.privacy.sealed import ChunkedReader
from models import StoredChunk


class StoredFileChanged(OSError):
    """The file was replaced or removed while it was being read."""


class BlobReader(ChunkedReader):
    def __init__(self, engine: Engine, blob_id: int, size: int, chunk_size: int) -> None:
        super().__init__(size, chunk_size)
        self._engine = engine
        self.blob_id = blob_id
        self.fetches = 0  # chunks fetched from the database so far

    def _fetch(self, index: int) -> bytes:
        with self._engine.connect() as connection:
            data = connection.scalar(
                select(StoredChunk.data).where(
                    StoredChunk.blob_id == self.blob_id, StoredChunk.ordinal == index
                )
            )
        self.fetches += 1
        expected = min(self.chunk_size, self.size - index * self.chunk_size)
        if data is None or len(data) != expected:
            raise StoredFileChanged(f"stored file {self.blob_id} changed while it was read")
        return bytes(data)
