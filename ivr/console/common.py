"""What every console view needs: the signed-in user, their scope, scoped lookups."""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select

from ivr.db import get_session
from ivr.tickets.scope import Scope
from models import AuditLog, Ticket, User, Voicemail, utcnow


def me() -> User:
    return current_user.user


def scope() -> Scope:
    """The signed-in user's scope, built once per request."""
    if "scope" not in g:
        g.scope = Scope.of(me())
    return g.scope


def ticket_or_404(ticket_id: int) -> Ticket:
    """The ticket if the user may see it; otherwise 404, exactly as for a missing one."""
    ticket = get_session().scalar(
        select(Ticket).where(Ticket.id == ticket_id, scope().tickets_clause())
    )
    if ticket is None:
        abort(404)
    return ticket


def voicemail_or_404(voicemail_id: int) -> Voicemail:
    voicemail = scope().voicemail(get_session(), voicemail_id)
    if voicemail is None:
        abort(404)
    return voicemail


def audit(
    action: str,
    object_type: str,
    object_id: object,
    station_id: int | None,
    ip: str | None,
    **detail: object,
) -> None:  # type: ignore[no-untyped-def]
    get_session().add(
        AuditLog(
            at=utcnow(),
            user_id=me().id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            station_id=station_id,
            ip=ip,
            detail=dict(detail),
        )
    )
