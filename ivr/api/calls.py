"""``/calls``: the call log, newest first, and one call with its steps."""

from __future__ import annotations

from datetime import datetime

from flask import Response, jsonify, request
from sqlalchemy import and_, or_, select

from ivr.api import bp, serialize
from ivr.api.pagination import decode_cursor, encode_cursor, page
from ivr.api.params import Query
from ivr.api.scoped import (
    STATION_CODE,
    call_or_404,
    calls_clause,
    revealed_callers,
    station_codes,
)
from ivr.api.tokens import current_scope, current_user
from ivr.db import get_session
from models import Call, Station, Voicemail

LISTING = "calls"
PARAMETERS = {"station", "since", "until", "cursor", "limit"}


def _list_query(query: Query):  # type: ignore[no-untyped-def]
    station = query.matching("station", STATION_CODE, "社工站代码只含小写字母、数字和 -")
    since, until = query.moment("since"), query.moment("until", end_of_day=True)
    after = decode_cursor(query.raw("cursor"), LISTING, (datetime, int))
    limit = query.limit()
    conditions = [calls_clause(current_scope())]
    if station:
        conditions.append(Call.station_id.in_(select(Station.id).where(Station.code == station)))
    if since:
        conditions.append(Call.started_at >= since)
    if until:
        conditions.append(Call.started_at < until)
    if after:
        started, call_id = after
        conditions.append(
            or_(Call.started_at < started, and_(Call.started_at == started, Call.id < call_id))
        )
    statement = (
        select(Call)
        .where(*conditions)
        .order_by(Call.started_at.desc(), Call.id.desc())
        .limit(limit + 1)
    )
    return statement, limit


@bp.get("/calls")
def list_calls() -> Response:
    session, scope = get_session(), current_scope()
    statement, limit = _list_query(Query(request.args, PARAMETERS))
    rows, more = page(list(session.scalars(statement)), limit)
    codes = station_codes(
        session, [c.station_id for c in rows] + [c.transferred_to_station_id for c in rows]
    )
    revealed = revealed_callers(session, scope, current_user(), [c.caller_id for c in rows])
    last = rows[-1] if rows else None
    return jsonify(
        {
            "items": [
                serialize.call(c, codes, c.caller_id in revealed, current_user().phone)
                for c in rows
            ],
            "next_cursor": (
                encode_cursor(LISTING, last.started_at, last.id) if more and last else None
            ),
        }
    )


@bp.get("/calls/<int:call_id>")
def get_call(call_id: int) -> Response:
    Query(request.args, set())
    session, scope = get_session(), current_scope()
    call = call_or_404(session, scope, call_id)
    codes = station_codes(session, [call.station_id, call.transferred_to_station_id])
    reveal = call.caller_id in revealed_callers(session, scope, current_user(), [call.caller_id])
    voicemail_ids = session.scalars(
        select(Voicemail.id)
        .where(Voicemail.call_id == call.id, scope.voicemails_clause())
        .order_by(Voicemail.id)
    )
    return jsonify(
        {
            **serialize.call(call, codes, reveal, current_user().phone),
            "voicemail_ids": list(voicemail_ids),
            "events": [serialize.call_event(e, reveal) for e in call.events],
        }
    )
