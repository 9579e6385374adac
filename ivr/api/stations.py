"""``/stations``: the stations in the token user's scope."""

from __future__ import annotations

from flask import Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ivr.api import bp, serialize
from ivr.api.params import Query
from ivr.api.scoped import station_or_404
from ivr.api.tokens import current_scope
from ivr.db import get_session
from models import Station


@bp.get("/stations")
def list_stations() -> Response:
    Query(request.args, set())
    rows = get_session().scalars(
        select(Station)
        .where(current_scope().stations_clause(Station.id))
        .order_by(Station.code)
        .options(selectinload(Station.district), selectinload(Station.hotline_numbers))
    )
    return jsonify({"items": [serialize.station(s) for s in rows]})


@bp.get("/stations/<code>")
def get_station(code: str) -> Response:
    Query(request.args, set())
    return jsonify(serialize.station(station_or_404(get_session(), current_scope(), code)))
