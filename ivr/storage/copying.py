"""Copying stored files from one backend to the other (``ivr storage copy``): a
single machine's folder into the database before it becomes a cluster, and back.

The files copied are the ones rows name (``voicemails.storage_path``,
``prompt_files.storage_path``), byte for byte as stored: a sealed recording stays sealed
and needs no key. A key the target already holds with the same size is skipped, so the
copy can be stopped and run again; the source is left as it was. Rows are read in batches
in short transactions; no transaction is open while a file is read or written.

A file the target holds that no row names any more (retention or an erasure removed it
from the source after an earlier copy) is counted as ``unnamed``, and removed with
``prune``: a copy must not bring back a recording the privacy rules took away.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ivr.storage.backend import COPY_BUFFER, Storage
from models import PromptFile, Voicemail

BATCH = 500


class CopyMismatch(OSError):
    """A copied file does not have its source's size in the target."""


def named_keys(sessions: sessionmaker[Session]) -> Iterator[str]:
    """Every key a row names: voicemails' recordings, then prompts, each in id order."""
    for model in (Voicemail, PromptFile):
        after = 0
        while True:
            with sessions() as session:
                rows = session.execute(
                    select(model.id, model.storage_path)
                    .where(model.id > after, model.storage_path.is_not(None))
                    .order_by(model.id)
                    .limit(BATCH)
                ).all()
            if not rows:
                break
            after = rows[-1][0]
            yield from (key for _id, key in rows)


def _pieces(stream) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    while piece := stream.read(COPY_BUFFER):
        yield piece


def copy_stored(
    sessions: sessionmaker[Session],
    source: Storage,
    target: Storage,
    prune: bool = False,
    progress: Callable[[Counter[str]], None] | None = None,
) -> Counter[str]:
    """Counts of files ``copied``, ``skipped`` (already in the target, same size),
    ``missing`` (a row names a file the source does not have), and ``unnamed`` in the
    target (``pruned`` when removed)."""
    counts: Counter[str] = Counter()
    named: set[str] = set()
    for done, key in enumerate(named_keys(sessions), 1):
        named.add(key)
        size = source.stored_size(key)
        if size is None:
            counts["missing"] += 1
        elif target.stored_size(key) == size:
            counts["skipped"] += 1
        else:
            opened = source.open_stored(key)
            if opened is None:  # removed (retention, erasure) since it was looked at
                counts["missing"] += 1
                continue
            with opened:
                target.write_stored(key, _pieces(opened.stream))
            if target.stored_size(key) != opened.size:
                raise CopyMismatch(f"{key}: the copy is not {opened.size} bytes")
            counts["copied"] += 1
        if progress is not None and done % 100 == 0:
            progress(counts)
    _unnamed(sessions, target, named, prune, counts)
    return counts


def _unnamed(
    sessions: sessionmaker[Session],
    target: Storage,
    named: set[str],
    prune: bool,
    counts: Counter[str],
) -> None:
    suspects = [key for key in target.stored_keys() if key not in named]
    if not suspects:
        return
    named.update(named_keys(sessions))  # rows written while the copy ran name their files
    for key in suspects:
        if key in named:
            continue
        if prune and target.remove(key):
            counts["pruned"] += 1
        else:
            counts["unnamed"] += 1
