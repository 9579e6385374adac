"""Leases on voicemails: one job at a time per voicemail, across consumers and hosts.

A job takes the lease with one conditional UPDATE (so two consumers cannot both win),
renews it from a heartbeat thread while it fetches and decodes, and gives it up in the
same transaction that records the outcome. Every write a job makes is conditional on
still holding the lease: a job that lost it (paused past expiry, then resumed) changes
nothing. A lease that expires because its holder died is picked up by the sweep.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.orm import Session, sessionmaker

from models import Voicemail, VoicemailState, utcnow

log = logging.getLogger(__name__)
UNFINISHED = (VoicemailState.RECEIVED, VoicemailState.FETCHED)
RELEASED: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}


def new_owner() -> str:
    """A name for one job run: which host and process, and which run in it."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Lease:
    voicemail_id: int
    owner: str
    seconds: float

    def held(self) -> ColumnElement[bool]:
        """The WHERE clause of every write made under this lease."""
        return and_(Voicemail.id == self.voicemail_id, Voicemail.lease_owner == self.owner)


def take(session: Session, voicemail_id: int, seconds: float, now: datetime) -> Lease | None:
    """Take the voicemail's lease and count an attempt, or None if it is not free.

    Free means: not final, no live lease, and no retry scheduled for later. Commits.
    """
    lease = Lease(voicemail_id, new_owner(), seconds)
    result = session.execute(
        update(Voicemail)
        .where(
            Voicemail.id == voicemail_id,
            Voicemail.state.in_(UNFINISHED),
            or_(Voicemail.lease_expires_at.is_(None), Voicemail.lease_expires_at < now),
            or_(Voicemail.retry_at.is_(None), Voicemail.retry_at <= now),
        )
        .values(
            lease_owner=lease.owner,
            lease_expires_at=now + timedelta(seconds=seconds),
            retry_at=None,
            attempts=Voicemail.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return lease if result.rowcount == 1 else None


def renew(session: Session, lease: Lease, now: datetime) -> bool:
    """Push the expiry on; False when the lease is no longer ours. Commits."""
    result = session.execute(
        update(Voicemail)
        .where(lease.held())
        .values(lease_expires_at=now + timedelta(seconds=lease.seconds))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def write(session: Session, lease: Lease, **values: Any) -> bool:
    """Change the voicemail only while the lease is ours; the caller commits."""
    result = session.execute(
        update(Voicemail)
        .where(lease.held())
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


class Heartbeat:
    """Renews a lease every third of its length, in its own short transactions, until
    stopped or until the lease turns out to be someone else's (the job's own writes,
    conditional on the lease, then change nothing)."""

    def __init__(self, sessions: sessionmaker[Session], lease: Lease) -> None:
        self.sessions, self.lease = sessions, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.lease.seconds / 3):
            try:
                with self.sessions() as session:
                    if not renew(session, self.lease, utcnow()):
                        log.warning("lease on voicemail %s was lost", self.lease.voicemail_id)
                        return
            except Exception:  # the database may be back by the next beat
                log.exception("could not renew the lease on voicemail %s", self.lease.voicemail_id)
