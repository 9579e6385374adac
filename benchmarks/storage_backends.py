"""Storage backends: a recording written, read whole and read in a range, from the local
folder (the baseline) and from the database.

    .venv/bin/python benchmarks/storage_backends.py [--megabytes 5] [--rounds 5] [--sealed]
        [--database-url URL]

Makes a throw-away instance (SQLite in a temporary folder unless ``--database-url`` names
an empty database) and migrates it. Each round writes one recording of ``--megabytes``
under a new key to each backend (sealed with a fresh key with ``--sealed``), then times:

- ``write``: ``Storage.write`` (the database's: every chunk and the blob row in one
  transaction);
- ``read``: ``Storage.read``, the whole plain content (what transcription reads);
- ``range``: open, seek to the middle, read 64 KiB (a player seeking), with the chunks
  the database fetched for it.

Prints the median milliseconds of each, and the database's ratio to the folder's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ivr.privacy.keys import new_key
from ivr.storage import DatabaseStorage, FileStorage, Storage
from models.db import make_engine
from models.migrate import upgrade

RANGE = 64 * 1024


def _ms(action: Callable[..., object], *args: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = action(*args)
    return (time.perf_counter() - started) * 1000, result


def _range(storage: Storage, key: str, size: int) -> int:
    opened = storage.open(key)
    assert opened is not None
    with opened:
        opened.stream.seek(size // 2)
        assert len(opened.stream.read(RANGE)) == RANGE
        raw = getattr(opened.stream, "_handle", opened.stream)  # the sealed reader's source
        return getattr(raw, "fetches", 0)


def measure(storage: Storage, audio: bytes, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"write": [], "read": [], "range": [], "fetches": []}
    for round_ in range(rounds):
        key = f"bench/2026/12/{round_}-{os.urandom(4).hex()}.wav"
        times["write"].append(_ms(storage.write, key, audio)[0])
        elapsed, whole = _ms(storage.read, key)
        assert whole == audio
        times["read"].append(elapsed)
        elapsed, fetches = _ms(_range, storage, key, len(audio))
        times["range"].append(elapsed)
        times["fetches"].append(float(fetches))  # type: ignore[arg-type]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sealed", action="store_true", help="seal with a fresh key")
    parser.add_argument("--database-url", help="an empty database (default: SQLite, temporary)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ivr-storage-bench-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'ivr.db'}"
        engine = make_engine(url)
        upgrade(engine)
        keys = (new_key(),) if args.sealed else ()
        audio = b"RIFF" + os.urandom(int(args.megabytes * 1024 * 1024))
        files = measure(FileStorage(Path(folder) / "recordings", keys), audio, args.rounds)
        database = measure(DatabaseStorage(engine, keys), audio, args.rounds)
        engine.dispose()
    kind = "sealed" if args.sealed else "plain"
    print(f"{engine.dialect.name}, {args.megabytes:g} MB {kind}, median of {args.rounds}")
    print(f"{'operation':<10} {'files ms':>9} {'database ms':>12} {'ratio':>7}")
    for name in ("write", "read", "range"):
        ours, base = statistics.median(database[name]), statistics.median(files[name])
        print(f"{name:<10} {base:>9.1f} {ours:>12.1f} {ours / base:>6.1f}x")
    print(f"chunks the database fetched for a range: {statistics.median(database['fetches']):g}")


if __name__ == "__main__":
    main()
