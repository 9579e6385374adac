"""The spool: what a webhook could not write to the database, kept on local disk.

When the database is down or over the webhook's time budget, the recording and status
callbacks append what Twilio told them to a journal in the instance folder (one JSON line
each, fsynced before the webhook answers) and answer as usual. :func:`Spool.replay` later
feeds each record, in order, to the same code the webhook runs; that code is idempotent
(one voicemail per RecordingSid, one event per request key, final statuses sticky), so a
record replayed twice, after a crash half-way through a batch, changes nothing more.

Files in the spool folder:
- ``journal.jsonl``: records being appended by webhooks (any process of this host);
- ``batch-<ns>.jsonl``: the journal taken over for replay, oldest first;
- ``held.jsonl``: records whose replay failed for a reason other than the database being
  unavailable; kept (never dropped), reported by ``/healthz``, retried by
  ``ivr spool replay --held``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
JOURNAL = "journal.jsonl"
HELD = "held.jsonl"


@dataclass(frozen=True)
class Record:
    kind: str  # which webhook: "recorded", "recording", "status"
    path: str  # the request's path and query string, as Twilio called it
    form: dict[str, str]  # Twilio's form fields
    key: str  # the request key that makes the replay idempotent
    at: str  # ISO time the webhook received it
    error: str = ""  # why it was held, for held records

    def to_line(self) -> bytes:
        return (json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True) + "\n").encode()

    @classmethod
    def from_line(cls, line: str) -> Record:
        data = json.loads(line)
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})

    @property
    def received_at(self) -> datetime:
        return datetime.fromisoformat(self.at)


@dataclass
class ReplayResult:
    applied: int = 0
    held: int = 0
    remaining: int = 0  # left for later: the database was unavailable
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.applied} replayed, {self.held} held, {self.remaining} waiting"


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @contextmanager
    def _locked(self, name: str, blocking: bool = True) -> Iterator[bool]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.directory / name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the lock

    def append(self, record: Record) -> None:
        """Add ``record`` to the journal, on disk before this returns."""
        with self._locked(".journal.lock"):
            new = not (self.directory / JOURNAL).exists()
            fd = os.open(self.directory / JOURNAL, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, record.to_line())
                os.fsync(fd)
            finally:
                os.close(fd)
            if new:  # the file's name must survive a power cut too
                _fsync_directory(self.directory)

    def _batches(self) -> list[Path]:
        return sorted(self.directory.glob("batch-*.jsonl"))

    def _pending_files(self) -> list[Path]:
        journal = self.directory / JOURNAL
        return [*self._batches(), *([journal] if journal.exists() else [])]

    def status(self) -> dict[str, Any]:
        """How many records wait, how old the oldest is, and how many are held."""
        records = [r for path in self._pending_files() for r in _read(path)]
        held = _read(self.directory / HELD)
        status: dict[str, Any] = {"depth": len(records), "held": len(held)}
        if records:
            oldest = min(r.received_at for r in records)
            status["oldest_seconds"] = round(time.time() - oldest.timestamp(), 1)
        return status

    def has_records(self) -> bool:
        return any(path.stat().st_size for path in self._pending_files() if path.exists())

    def replay(
        self,
        apply: Callable[[Record], None],
        unavailable: Callable[[BaseException], bool],
        held: bool = False,
    ) -> ReplayResult | None:
        """Feed waiting records to ``apply`` in order; None if another replay is running.

        A record that fails because the database is ``unavailable`` stops the replay and
        stays (with all after it) for the next one; any other failure moves it to the
        held file with the error.
        """
        with self._locked(".replay.lock", blocking=False) as mine:
            if not mine:
                return None
            if held:
                self._requeue_held()
            self._take_journal()
            result = ReplayResult()
            for batch in self._batches():
                if not self._replay_batch(batch, apply, unavailable, result):
                    result.remaining += sum(len(_read(b)) for b in self._batches())
                    break
        if result.applied or result.held or result.remaining:
            log.warning("spool replay: %s", result.summary())
        return result

    def _take_journal(self) -> None:
        with self._locked(".journal.lock"):
            journal = self.directory / JOURNAL
            if journal.exists() and journal.stat().st_size:
                os.replace(journal, self.directory / f"batch-{time.time_ns():020d}.jsonl")
                _fsync_directory(self.directory)

    def _requeue_held(self) -> None:
        path = self.directory / HELD
        if path.exists():
            os.replace(path, self.directory / f"batch-{0:020d}-held-{time.time_ns()}.jsonl")

    def _replay_batch(
        self,
        batch: Path,
        apply: Callable[[Record], None],
        unavailable: Callable[[BaseException], bool],
        result: ReplayResult,
    ) -> bool:
        records = _read(batch, on_bad_line=lambda line: self._hold_raw(line, result))
        for index, record in enumerate(records):
            try:
                apply(record)
            except Exception as exc:
                if unavailable(exc):
                    _rewrite(batch, records[index:])
                    return False
                self._hold(record, f"{type(exc).__name__}: {exc}", result)
                continue
            result.applied += 1
        batch.unlink()
        return True

    def _hold(self, record: Record, error: str, result: ReplayResult) -> None:
        log.error("spooled %s from %s held: %s", record.kind, record.at, error)
        result.held += 1
        result.errors.append(error)
        held = Record(record.kind, record.path, record.form, record.key, record.at, error[:500])
        with open(self.directory / HELD, "ab") as handle:
            handle.write(held.to_line())
            handle.flush()
            os.fsync(handle.fileno())

    def _hold_raw(self, line: str, result: ReplayResult) -> None:
        # A torn line (power cut mid-append) is kept as it was for a person to read.
        result.held += 1
        with open(self.directory / "unreadable.txt", "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def _read(path: Path, on_bad_line: Callable[[str], None] | None = None) -> list[Record]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            records.append(Record.from_line(line))
        except (ValueError, KeyError, TypeError):
            if on_bad_line is not None:
                on_bad_line(line)
    return records


def _rewrite(path: Path, records: list[Record]) -> None:
    temporary = path.with_suffix(".part")
    with open(temporary, "wb") as handle:
        for record in records:
            handle.write(record.to_line())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
