"""The database backend's own promises: chunks fetched lazily, one per short checkout,
so a range of a large file never loads the rest; a write is one transaction; a
replaced key leaves no chunk of its old file behind."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import event, func, select

from ivr.db import database
from ivr.storage import DatabaseStorage, StoredFileChanged
from ivr.storage.database import CHUNK_SIZE, chunked
from models import StoredBlob, StoredChunk
from tests.ivr.storage.conftest import NEW

LARGE = b"RIFF" + os.urandom(5 * CHUNK_SIZE + 12_345)  # six chunks


@pytest.fixture
def engine(app):  # type: ignore[no-untyped-def]
    return database(app).engine


def _count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_a_range_of_a_large_file_fetches_only_the_chunks_it_touches(engine):
    storage = DatabaseStorage(engine)
    storage.write("big.wav", LARGE)
    assert _count(engine, StoredChunk) == 6
    with storage.open("big.wav") as opened:
        reader = opened.stream
        assert reader.fetches == 1  # the first chunk: is it sealed?
        start = 3 * CHUNK_SIZE + 100
        reader.seek(start)
        assert reader.read(50_000) == LARGE[start : start + 50_000]
        assert reader.fetches == 2
        assert engine.pool.checkedout() == 0  # nothing held between reads


def test_a_sealed_large_file_read_in_a_range_fetches_little(engine):
    storage = DatabaseStorage(engine, (NEW,))
    storage.write("big.wav", LARGE)
    with storage.open("big.wav") as opened:
        opened.stream.seek(4 * CHUNK_SIZE)
        assert opened.stream.read(1000) == LARGE[4 * CHUNK_SIZE : 4 * CHUNK_SIZE + 1000]
        blobs = opened.stream._handle  # the sealed reader's stream of stored bytes
        assert blobs.fetches <= 3  # the header's chunk, and the one or two the range is in


def test_a_write_is_one_transaction(engine):
    commits: list[int] = []

    def committed(_connection) -> None:  # type: ignore[no-untyped-def]
        commits.append(1)

    event.listen(engine, "commit", committed)
    try:
        DatabaseStorage(engine).write("big.wav", LARGE)
    finally:
        event.remove(engine, "commit", committed)
    assert len(commits) == 1


def test_replacing_a_key_leaves_one_blob_and_only_its_chunks(engine):
    storage = DatabaseStorage(engine)
    storage.write("big.wav", LARGE)
    storage.write("big.wav", b"RIFF short")
    assert _count(engine, StoredBlob) == 1 and _count(engine, StoredChunk) == 1
    assert storage.read("big.wav") == b"RIFF short"


def test_a_file_replaced_while_it_is_read_says_so(engine):
    storage = DatabaseStorage(engine)
    storage.write("big.wav", LARGE)
    with storage.open("big.wav") as opened:
        storage.write("big.wav", LARGE[::-1])
        opened.stream.seek(2 * CHUNK_SIZE)
        with pytest.raises(StoredFileChanged):
            opened.stream.read(10)


def test_chunks_are_whole_but_the_last():
    assert list(chunked([b"ab", b"cdefg", b"", b"h"], 3)) == [b"abc", b"def", b"gh"]
    assert list(chunked([], 3)) == [] and list(chunked([b"abc"], 3)) == [b"abc"]
