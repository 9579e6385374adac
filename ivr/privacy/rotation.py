"""Re-encrypting every stored recording to the current key (``ivr privacy rotate-key``).

Each file is rewritten on its own, atomically (a new sealed file replaces the old in one
rename, or one transaction in the database backend), and one already sealed with the
current key is left alone: the command can be stopped at any point and run again, and a
second run changes nothing. Plain files written before keys were set are sealed too. Rows
are read in batches by id in short transactions; no transaction is open while files are
read or rewritten (the database backend's writes are short transactions of their own).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ivr.privacy.keys import KeyMissing
from ivr.privacy.sealed import SealBroken
from ivr.storage import Storage
from models import Voicemail

BATCH = 500


def rotate_recordings(
    sessions: sessionmaker[Session],
    storage: Storage,
    progress: Callable[[Counter[str]], None] | None = None,
) -> Counter[str]:
    """Counts of files ``resealed``, ``current`` (already), ``missing`` and ``unreadable``
    (damaged, or sealed with a key no longer configured)."""
    if storage.keys.current is None:
        raise KeyMissing("IVR_STORAGE_KEYS is not set: there is no key to encrypt with")
    counts: Counter[str] = Counter()
    after = 0
    while True:
        with sessions() as session:
            rows = session.execute(
                select(Voicemail.id, Voicemail.storage_path)
                .where(Voicemail.id > after, Voicemail.storage_path.is_not(None))
                .order_by(Voicemail.id)
                .limit(BATCH)
            ).all()
        if not rows:
            return counts
        for voicemail_id, relative in rows:
            after = voicemail_id
            try:
                resealed = storage.reseal(relative)
            except (KeyMissing, SealBroken):
                counts["unreadable"] += 1
                continue
            counts["missing" if resealed is None else "resealed" if resealed else "current"] += 1
        if progress:
            progress(counts)
