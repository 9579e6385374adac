"""Files kept in the application's own database (``IVR_STORAGE_BACKEND=database``): what a
cluster uses, so a web host plays a recording a worker on another host stored.

Writing gathers the chunks first (the data is already in memory or read from a local
file or a stream of short reads), then stores them and the blob row in one short
transaction: no network fetch, decode or key derivation inside it. Replacing a key
inserts a new blob and deletes the old one in that same transaction, so a reader finds
the old file or the new one, never a mix. Reading opens the blob in one short
transaction and fetches chunks lazily (:class:`BlobReader`); on SQLite reads begin
deferred, never taking the write lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Engine, delete, exc, insert, select
from sqlalchemy.engine import Connection

from ivr.storage.backend import Keys, Opened, Storage, check_key, valid_key
from ivr.storage.blob_reader import BlobReader
from models import StoredBlob, StoredChunk, utcnow
from models.db import deferred

CHUNK_SIZE = 256 * 1024
# Two writers replacing one key at once: the second's insert meets the first's new row;
# it tries again (its chunks are in memory) and wins.
WRITE_TRIES = 3
KEYS_BATCH = 1000


def chunked(pieces: Iterable[bytes], size: int) -> Iterator[bytes]:
    """The concatenation of ``pieces`` in pieces of exactly ``size`` bytes (the last one
    shorter)."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


class DatabaseStorage(Storage):
    name = "database"

    def __init__(self, engine: Engine, keys: Keys = None, chunk_size: int = CHUNK_SIZE) -> None:
        super().__init__(keys)
        self.engine = engine
        self._readers = deferred(engine)
        self.chunk_size = chunk_size

    def _blob(self, key: str | None) -> tuple[int, int, int, object] | None:
        if not valid_key(key):
            return None
        with self._readers.connect() as connection:
            row = connection.execute(
                select(
                    StoredBlob.id, StoredBlob.size, StoredBlob.chunk_size, StoredBlob.created_at
                ).where(StoredBlob.key == key)
            ).first()
        return tuple(row) if row is not None else None  # type: ignore[return-value]

    def open_stored(self, key: str | None) -> Opened | None:
        found = self._blob(key)
        if found is None:
            return None
        blob_id, size, chunk_size, created_at = found
        reader = BlobReader(self._readers, blob_id, size, chunk_size)
        return Opened(reader, size, created_at, f"blob:{blob_id}:{size}")  # type: ignore[arg-type]

    def write_stored(self, key: str, pieces: Iterable[bytes]) -> None:
        check_key(key)
        chunks = list(chunked(pieces, self.chunk_size))  # everything read before the transaction
        size = sum(len(chunk) for chunk in chunks)
        for attempt in range(WRITE_TRIES):
            try:
                with self.engine.begin() as connection:
                    self._replace(connection, key, size, chunks)
                return
            except exc.IntegrityError:
                if attempt == WRITE_TRIES - 1:
                    raise

    def _replace(self, connection: Connection, key: str, size: int, chunks: list[bytes]) -> None:
        _delete(connection, key)
        blob_id = connection.scalar(
            insert(StoredBlob)
            .values(key=key, size=size, chunk_size=self.chunk_size, created_at=utcnow())
            .returning(StoredBlob.id)
        )
        if chunks:
            connection.execute(
                insert(StoredChunk),
                [
                    {"blob_id": blob_id, "ordinal": ordinal, "data": chunk}
                    for ordinal, chunk in enumerate(chunks)
                ],
            )

    def stored_size(self, key: str | None) -> int | None:
        found = self._blob(key)
        return None if found is None else found[1]

    def stored_keys(self) -> Iterator[str]:
        after = ""
        while True:
            with self._readers.connect() as connection:
                batch = list(
                    connection.scalars(
                        select(StoredBlob.key)
                        .where(StoredBlob.key > after)
                        .order_by(StoredBlob.key)
                        .limit(KEYS_BATCH)
                    )
                )
            if not batch:
                return
            yield from batch
            after = batch[-1]

    def remove(self, key: str | None) -> bool:
        if not valid_key(key):
            return False
        with self.engine.begin() as connection:
            return _delete(connection, key) > 0  # type: ignore[arg-type]


def _delete(connection: Connection, key: str) -> int:
    """Delete the blob under ``key`` and its chunks; how many blobs went (0 or 1)."""
    old = select(StoredBlob.id).where(StoredBlob.key == key).scalar_subquery()
    connection.execute(delete(StoredChunk).where(StoredChunk.blob_id.in_(old)))
    return connection.execute(delete(StoredBlob).where(StoredBlob.key == key)).rowcount
