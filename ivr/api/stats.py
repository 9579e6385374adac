"""``/stats``: a scope's figures for a period, the same the dashboard and exports show."""

from __future__ import annotations

import re

from flask import Response, jsonify, request
from flask_babel import force_locale

from ivr.api import bp
from ivr.api.errors import invalid_parameter, not_found
from ivr.api.params import Query
from ivr.api.tokens import current_scope
from ivr.db import get_session
from ivr.stats.exports import to_json
from ivr.stats.figures import (
    PRESETS,
    PeriodInvalid,
    ScopeNotAllowed,
    ScopeNotFound,
    build_report,
    default_scope,
    parse_period,
    resolve_scope,
)
from models import utcnow

# "city", "station:<code>", or "district:<code>" / "district:<Chinese name>" (海珠区).
SCOPE_PATTERN = (
    "^(city|station:[a-z0-9][a-z0-9-]{0,63}"
    "|district:([a-z0-9][a-z0-9-]{0,63}|[\u4e00-\u9fff]{1,20}))$"
)
SCOPE = re.compile(SCOPE_PATTERN)
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@bp.get("/stats")
def get_stats() -> Response:
    query = Query(request.args, {"scope", "preset", "from", "to"})
    spec = query.matching("scope", SCOPE, "应为 city、station:<编码> 或 district:<编码或区名>")
    preset = query.choice("preset", PRESETS)
    start = query.matching("from", DAY, "应为日期，如 2026-11-01")
    end = query.matching("to", DAY, "应为日期，如 2026-11-30")
    if preset and (start or end):
        raise invalid_parameter("preset", "不能与 from/to 同时给出")
    session = get_session()
    try:
        scope = (
            resolve_scope(session, spec, current_scope())
            if spec
            else default_scope(session, current_scope())
        )
    except (ScopeNotFound, ScopeNotAllowed):
        raise not_found() from None
    try:
        period = parse_period(preset, start, end, scope.today())
    except PeriodInvalid as exc:
        with force_locale("zh"):  # API messages are Chinese, like the rest of the API's
            raise invalid_parameter("from/to", str(exc)) from None
    return jsonify(to_json(build_report(session, scope, period, now=utcnow())))
