"""Which stations a report covers, named as "station:<code>", "district:<code>" or "city".

A worker or station admin may report on their own station; a district admin on the
district or any of its stations; a city admin on anything. Scopes outside the viewer's
raise ``ScopeNotAllowed``, which pages and the API answer with 404, as if it did not exist.
"""

from __future__ import annotations

from collections import Counter

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ivr.stats.report import ReportScope
from ivr.tickets.scope import Scope
from models import District, Role, Station

CITY_NAME_ZH = "广州市"
CITY_NAME_EN = "Guangzhou"
DEFAULT_TIMEZONE = "Asia/Shanghai"


class ScopeNotFound(LookupError):
    """No station or district goes by that name; the message says what was asked for."""


class ScopeNotAllowed(PermissionError):
    """The scope exists but lies outside the viewer's; callers answer 404."""


def resolve_scope(session: Session, spec: str, viewer: Scope | None = None) -> ReportScope:
    """The report scope ``spec`` names, checked against ``viewer`` (None: no limit)."""
    kind, _, name = (spec or "").strip().partition(":")
    kind, name = kind.strip().lower(), name.strip()
    if not name.isprintable() or len(name) > 100:  # no code or name holds these
        raise ScopeNotFound(
            _l("找不到这个范围：%(spec)s", spec=name[:100].encode("unicode_escape").decode())
        )
    if kind == "city" and not name:
        if viewer is not None and not viewer.is_city:
            raise ScopeNotAllowed(_l("无权查看全市的统计"))
        return city_scope(session)
    if kind == "station" and name:
        station = session.scalar(select(Station).where(Station.code == name))
        if station is None:
            raise ScopeNotFound(_l("找不到社工站：%(name)s", name=name))
        if viewer is not None and not _may_see_station(viewer, station):
            raise ScopeNotAllowed(_l("无权查看这个社工站的统计"))
        return station_scope(station)
    if kind == "district" and name:
        district = session.scalar(
            select(District).where(or_(District.code == name, District.name_zh == name))
        )
        if district is None:
            raise ScopeNotFound(_l("找不到区：%(name)s", name=name))
        if viewer is not None and not _may_see_district(viewer, district):
            raise ScopeNotAllowed(_l("无权查看这个区的统计"))
        return district_scope(session, district)
    raise ScopeNotFound(
        _l(
            "无法识别的范围：%(spec)s（应为 station:编码、district:编码或区名、city）",
            spec=spec,
        )
    )


def default_scope(session: Session, viewer: Scope) -> ReportScope:
    """What a user sees first: their station, their district, or the city."""
    if viewer.is_city:
        return city_scope(session)
    if viewer.role is Role.DISTRICT_ADMIN and viewer.district_id is not None:
        district = session.get(District, viewer.district_id)
        if district is not None:
            return district_scope(session, district)
    station = session.get(Station, viewer.station_id) if viewer.station_id else None
    if station is None:
        raise ScopeNotAllowed(_l("你的账号没有所属的社工站或区"))
    return station_scope(station)


def station_scope(station: Station) -> ReportScope:
    return ReportScope(
        "station",
        station.code,
        station.name_zh,
        station.name_en,
        (station.id,),
        station.timezone or DEFAULT_TIMEZONE,
    )


def district_scope(session: Session, district: District) -> ReportScope:
    stations = session.execute(
        select(Station.id, Station.timezone)
        .where(Station.district_id == district.id)
        .order_by(Station.code)
    ).all()
    return ReportScope(
        "district",
        district.code,
        district.name_zh,
        district.name_en,
        tuple(s.id for s in stations),
        _main_timezone(s.timezone for s in stations),
    )


def city_scope(session: Session) -> ReportScope:
    stations = session.execute(select(Station.id, Station.timezone).order_by(Station.code)).all()
    return ReportScope(
        "city",
        "",
        CITY_NAME_ZH,
        CITY_NAME_EN,
        tuple(s.id for s in stations),
        _main_timezone(s.timezone for s in stations),
    )


def _main_timezone(zones) -> str:  # type: ignore[no-untyped-def]
    """The timezone most stations keep (ties: the alphabetically first); the default if none."""
    counts = Counter(zone or DEFAULT_TIMEZONE for zone in zones)
    if not counts:
        return DEFAULT_TIMEZONE
    return min(counts, key=lambda zone: (-counts[zone], zone))


def _may_see_station(viewer: Scope, station: Station) -> bool:
    if viewer.is_city:
        return True
    if viewer.role is Role.DISTRICT_ADMIN:
        return viewer.district_id is not None and station.district_id == viewer.district_id
    return viewer.station_id is not None and station.id == viewer.station_id


def _may_see_district(viewer: Scope, district: District) -> bool:
    if viewer.is_city:
        return True
    return viewer.role is Role.DISTRICT_ADMIN and viewer.district_id == district.id
