"""What every storage backend promises its callers, the same in a folder and in the
database: atomic writes, seekable reads, sealing with the current key, key rotation,
removal, and a local copy for decoders."""

from __future__ import annotations

import io
import os
import stat

import pytest

from ivr.privacy.keys import KeyMissing, new_key
from ivr.privacy.sealed import CHUNK, is_sealed
from ivr.storage import FileStorage, StoredKeyInvalid
from tests.ivr.storage.conftest import AUDIO, NEW, OLD

KEY = "haizhu-nanzhou/2026/12/7-0123456789abcdef.wav"


def test_what_is_written_reads_back_whole_and_in_ranges(make_storage):
    storage = make_storage(chunk_size=4096)  # many chunks in the database
    storage.write(KEY, AUDIO)
    assert storage.exists(KEY) and storage.stored_size(KEY) == len(AUDIO)
    assert storage.read(KEY) == AUDIO
    with storage.open(KEY) as opened:
        assert opened.size == len(AUDIO) and opened.sealed_with is None
        stream = opened.stream
        assert stream.seekable()
        stream.seek(10_000)
        assert stream.read(9_000) == AUDIO[10_000:19_000]  # across chunk boundaries
        assert stream.seek(-10, io.SEEK_END) == len(AUDIO) - 10
        assert stream.read() == AUDIO[-10:] and stream.read(5) == b""
        stream.seek(4096 * 3 - 1)
        assert stream.read(2) == AUDIO[4096 * 3 - 1 : 4096 * 3 + 1]
    assert list(storage.stored_keys()) == [KEY]


def test_an_empty_file_is_a_file(make_storage):
    storage = make_storage()
    storage.write("prompts/1/empty.wav", b"")
    assert storage.exists("prompts/1/empty.wav") and storage.read("prompts/1/empty.wav") == b""


def test_a_missing_or_outside_key_is_nothing(make_storage):
    storage = make_storage()
    for key in (None, "", "no/such.wav", "../../etc/passwd", "/etc/passwd", "a//b.wav", "a\\b"):
        assert storage.open(key) is None and storage.read(key) is None
        assert not storage.exists(key) and storage.stored_size(key) is None
        assert storage.remove(key) is False
    for key in ("", "../x.wav", "/abs.wav", "a/./b.wav"):
        with pytest.raises(StoredKeyInvalid):
            storage.write(key, b"x")


def test_with_keys_it_is_sealed_at_rest_in_one_format(make_storage, tmp_path):
    storage = make_storage((NEW, OLD), chunk_size=50_000)
    storage.write(KEY, AUDIO)
    with storage.open_stored(KEY) as raw:
        sealed = raw.read()
    assert is_sealed(sealed) and AUDIO[1000:1064] not in sealed
    with storage.open(KEY) as opened:
        assert opened.size == len(AUDIO) and opened.sealed_with is not None
        opened.stream.seek(CHUNK - 100)
        assert opened.stream.read(CHUNK + 200) == AUDIO[CHUNK - 100 : 2 * CHUNK + 100]
    assert storage.read(KEY) == AUDIO
    # The bytes at rest are a sealed file's, whichever backend holds them.
    elsewhere = FileStorage(tmp_path / "elsewhere", (NEW,))
    elsewhere.write_stored(KEY, [sealed])
    assert elsewhere.read(KEY) == AUDIO
    with pytest.raises(KeyMissing):
        make_storage().read(KEY)
    with pytest.raises(KeyMissing):
        make_storage((new_key(),)).read(KEY)


def test_unsealed_when_asked_even_with_keys(make_storage):
    storage = make_storage((NEW,))
    storage.write("prompts/1/notice.wav", AUDIO, sealed=False)
    with storage.open_stored("prompts/1/notice.wav") as raw:
        assert raw.read() == AUDIO
    assert storage.read("prompts/1/notice.wav") == AUDIO


def test_reseal_moves_a_file_to_the_current_key_once(make_storage):
    make_storage((OLD,)).write("a.wav", AUDIO)
    make_storage().write("b.wav", AUDIO)  # plain, written before keys were set
    storage = make_storage((NEW, OLD))
    assert storage.reseal("a.wav") is True and storage.reseal("b.wav") is True
    assert storage.reseal("a.wav") is False and storage.reseal("b.wav") is False
    assert storage.reseal("gone.wav") is None
    only_new = make_storage((NEW,))
    assert only_new.read("a.wav") == AUDIO and only_new.read("b.wav") == AUDIO
    with pytest.raises(KeyMissing):
        make_storage().reseal("a.wav")


def test_removed_is_gone(make_storage):
    storage = make_storage()
    storage.write(KEY, AUDIO)
    storage.write("other.wav", b"RIFF")
    assert storage.remove(KEY) is True
    assert storage.read(KEY) is None and storage.remove(KEY) is False
    assert list(storage.stored_keys()) == ["other.wav"]


def test_a_write_is_whole_or_not_at_all(make_storage):
    storage = make_storage(chunk_size=4096)
    storage.write(KEY, b"RIFF old")

    def failing():  # type: ignore[no-untyped-def]
        yield AUDIO[:10_000]
        raise OSError("the disk filled up")

    with pytest.raises(OSError, match="disk filled"):
        storage.write_stored(KEY, failing())
    assert storage.read(KEY) == b"RIFF old"
    with pytest.raises(OSError):
        storage.write_stored("new.wav", failing())
    assert not storage.exists("new.wav")
    assert list(storage.stored_keys()) == [KEY]  # no half-written file is a key
    storage.write(KEY, AUDIO)
    assert storage.read(KEY) == AUDIO and storage.stored_size(KEY) == len(AUDIO)


def test_a_local_copy_for_decoders_is_private_and_goes_away(make_storage):
    storage = make_storage((NEW,))
    storage.write(KEY, AUDIO)
    with storage.local_copy(KEY) as path:
        assert path is not None and path.read_bytes() == AUDIO
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not path.exists()
    with storage.local_copy("gone.wav") as nothing:
        assert nothing is None


def test_a_file_on_disk_is_private(tmp_path):
    storage = FileStorage(tmp_path / "stored")
    storage.write(KEY, AUDIO)
    path = storage.path_of(KEY)
    assert path is not None and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with storage.local_copy(KEY) as local:  # a plain file is its own copy
        assert local == path
    assert path.exists()
