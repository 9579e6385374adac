"""Building stations and live menus for the menu health check's tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.menus.default_menu import default_menu
from ivr.menus.lint import LintReport, Problem, lint_stations
from ivr.menus.yaml_source import dump_yaml
from ivr.storage import storage
from models import District, MenuStatus, MenuVersion, OnDutyPhone, Station, utcnow
from tests import factories


def make_station(
    session: Session,
    district: District | None = None,
    *,
    languages: tuple[str, ...] = ("zh",),
    phones: tuple[tuple[str, bool], ...] = (("+8613800000001", True),),
    **fields: object,
) -> Station:
    station = factories.station(session, district, languages=list(languages), **fields)
    for position, (number, active) in enumerate(phones):
        session.add(
            OnDutyPhone(station_id=station.id, number=number, position=position, active=active)
        )
    session.flush()
    return station


def publish(
    session: Session, station: Station, document: dict | str, at: datetime | None = None
) -> MenuVersion:
    """Store ``document`` as the station's newest published version, as it stands (the
    validator is not asked: live menus may have gone wrong since they were published)."""
    text = document if isinstance(document, str) else dump_yaml(document)
    newest = session.scalar(
        select(func.max(MenuVersion.version)).where(MenuVersion.station_id == station.id)
    )
    at = at or utcnow()
    version = MenuVersion(
        station_id=station.id,
        version=(newest or 0) + 1,
        status=MenuStatus.PUBLISHED,
        document=text,
        created_at=at,
        published_at=at,
    )
    session.add(version)
    session.flush()
    return version


def menu(languages: tuple[str, ...] = ("zh",)) -> dict:
    return default_menu(list(languages))


def run(app, session: Session, *stations: Station, **options: object) -> LintReport:  # type: ignore[no-untyped-def]
    session.commit()
    ids = [s.id for s in stations]
    return lint_stations(session, ids, storage=storage(app), **options)


def only(report: LintReport, check: str) -> Problem:
    """The one problem ``check`` found; fails if it found none or several."""
    found = [p for p in report.problems if p.check == check]
    assert len(found) == 1, [(p.check, p.node, str(p.message)) for p in report.problems]
    return found[0]


def editor(station: Station, node: str | None = None) -> str:
    return f"/admin/stations/{station.id}/menu" + (f"#node-{node}" if node else "")
