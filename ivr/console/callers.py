"""A caller's history: every call, voicemail and ticket from that number, within scope."""

from __future__ import annotations

from flask import abort, render_template
from flask_login import login_required
from sqlalchemy import select

from ivr.console import bp
from ivr.console.common import scope
from ivr.db import get_session
from ivr.phone import is_withheld, mask
from models import Call, Caller, Ticket, Voicemail


@bp.get("/callers/<int:caller_id>")
@login_required
def caller(caller_id: int) -> str:
    session = get_session()
    row = session.get(Caller, caller_id)
    if row is None or is_withheld(row.phone_number):
        # A Caller made for a withheld placeholder (+266696687 …) before those were
        # recognised holds the calls of many strangers: there is no one history to show.
        abort(404)
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.caller_id == caller_id, scope().tickets_clause())
            .order_by(Ticket.opened_at.desc())
        )
    )
    calls = list(
        session.scalars(
            select(Call)
            .where(Call.caller_id == caller_id, scope().stations_clause(Call.station_id))
            .order_by(Call.started_at.desc())
            .limit(200)
        )
    )
    voicemails = list(
        session.scalars(
            select(Voicemail)
            .where(Voicemail.caller_id == caller_id, scope().stations_clause(Voicemail.station_id))
            .order_by(Voicemail.created_at.desc())
            .limit(200)
        )
    )
    if not (tickets or calls or voicemails):
        abort(404)  # nothing of theirs in this worker's scope: as if unknown
    return render_template(
        "console/caller.html",
        caller=row,
        number=mask(row.phone_number),
        tickets=tickets,
        calls=calls,
        voicemails=voicemails,
    )
