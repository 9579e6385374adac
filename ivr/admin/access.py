"""Who may administer which station, and the lookups every admin page starts from."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, request
from flask_login import login_required
from sqlalchemy import select

from ivr.console.common import audit, me, scope
from ivr.db import get_session
from models import Role, Station

ADMIN_ROLES = frozenset({Role.STATION_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
# Applying a template or a notice to many stations belongs to district and city admins.
MULTI_STATION_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})


def is_admin() -> bool:
    return me().role in ADMIN_ROLES


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed in and an admin of some kind; workers get 403 (they know the page exists)."""

    @login_required
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not is_admin():
            abort(403)
        return view(*args, **kwargs)

    return guarded


def multi_station_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @login_required
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if me().role not in MULTI_STATION_ROLES:
            abort(403)
        return view(*args, **kwargs)

    return guarded


def station_or_404(station_id: int) -> Station:
    """The station if the signed-in admin may administer it; 404 as for a missing one."""
    station = get_session().scalar(
        select(Station).where(Station.id == station_id, scope().stations_clause(Station.id))
    )
    if station is None:
        abort(404)
    return station


def admin_stations() -> list[Station]:
    """Every station the signed-in admin may administer, by code."""
    return list(
        get_session().scalars(
            select(Station).where(scope().stations_clause(Station.id)).order_by(Station.code)
        )
    )


def audit_change(action: str, station: Station, **detail: object) -> None:
    """Write who changed what at which station to the audit log (committed by the caller)."""
    audit(action, "station", station.id, station.id, request.remote_addr, **detail)
