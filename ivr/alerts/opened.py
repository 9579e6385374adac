"""Someone opened the ticket: its alerts have done their job, and escalation stops."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ivr.alerts.chain import record
from models import Alert, User


def mark_opened(session: Session, ticket_id: int, user: User, now: datetime) -> bool:
    """Record the first opening of ``ticket_id`` after its alerts; True if this was it.
    The caller commits."""
    changed = session.execute(
        update(Alert)
        .where(Alert.ticket_id == ticket_id, Alert.opened_at.is_(None))
        .values(opened_at=now, opened_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        return False
    first = session.scalars(
        select(Alert).where(Alert.ticket_id == ticket_id).order_by(Alert.step.desc()).limit(1)
    ).one()
    record(session, first, "opened", actor=user)
    return True
