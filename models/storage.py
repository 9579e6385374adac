"""Files kept in the database (``IVR_STORAGE_BACKEND=database``): recordings and prompts
as rows, so every host of a cluster reads what any other host stored.

A stored file is one :class:`StoredBlob` (its key, the name a row such as
``voicemails.storage_path`` holds) and its bytes cut into :class:`StoredChunk` rows of a
fixed size, so a reader fetches only the chunks a byte range touches. The bytes are
exactly what the local folder would hold (sealed ones included); replacing a key writes
a new blob and deletes the old one in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class StoredBlob(Base):
    __tablename__ = "storage_blobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)  # bytes as stored (a sealed file's, sealed)
    chunk_size: Mapped[int]  # every chunk but the last holds exactly this many bytes
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    # A reader holds a blob's id between chunk fetches: an id must never come back for
    # another file (SQLite would reuse the highest one once it is deleted).
    __table_args__ = {"sqlite_autoincrement": True}


class StoredChunk(Base):
    __tablename__ = "storage_chunks"

    blob_id: Mapped[int] = mapped_column(
        ForeignKey("storage_blobs.id", ondelete="CASCADE"), primary_key=True
    )
    ordinal: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
