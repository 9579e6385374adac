"""What the menu health check reads from the database, as plain data, in one short read.

The checks never touch the database: everything they need is gathered here first (and
the transaction ended before any prompt is decoded).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.lint.problems import StationRef
from ivr.menus.rollout import template_documents
from models import AuditLog, MenuStatus, MenuVersion, OnDutyPhone, PromptFile, Station


@dataclass(frozen=True)
class PromptRow:
    name: str
    sha256: str
    storage_path: str


@dataclass(frozen=True)
class LiveMenu:
    """The menu callers of a station hear now."""

    text: str
    version: int | None  # None: nothing published, callers hear the default template
    published_at: datetime | None = None
    template_text: str | None = None  # the shared template it was last brought in line with


@dataclass(frozen=True)
class Subject:
    """A station being checked: its settings, roster, prompt library and live menu."""

    ref: StationRef
    languages: tuple[str, ...]
    twenty_four_hours: bool
    opening_hours: dict[str, Any]
    holidays: tuple[str, ...]
    timezone: str
    phones: int
    phones_on: int
    live: LiveMenu
    prompts: dict[str, PromptRow] = field(default_factory=dict)
    bulk_notices: frozenset[str] = frozenset()  # node ids the notice tool placed here


@dataclass(frozen=True)
class Peer:
    """Any station, as a transfer sees it: whether it answers, and its live menu."""

    code: str
    name_zh: str
    active: bool
    text: str


def read_subjects(session: Session, station_ids: Collection[int]) -> list[Subject]:
    """The stations ``station_ids`` (active ones only), in district and code order."""
    ids = list(station_ids)
    if not ids:
        return []
    stations = session.scalars(
        select(Station)
        .where(Station.id.in_(ids), Station.active.is_(True))
        .options(selectinload(Station.district))
        .order_by(Station.code)
    ).all()
    live = _published(session, ids)
    templates = template_documents(session, {v.template_id for v in live.values()})
    phones = _phones(session, ids)
    prompts = _prompts(session, ids)
    notices = _bulk_notices(session, ids)
    subjects = []
    for station in stations:
        version = live.get(station.id)
        if version is None:
            menu = LiveMenu(default_menu_yaml(station.languages), None)
        else:
            template = templates.get(version.template_id) if version.template_id else None
            menu = LiveMenu(version.document, version.version, version.published_at, template)
        total, on = phones.get(station.id, (0, 0))
        subjects.append(
            Subject(
                ref=StationRef(
                    station.id,
                    station.code,
                    station.name_zh,
                    station.district.code,
                    station.district.name_zh,
                ),
                languages=tuple(station.languages or ()),
                twenty_four_hours=station.twenty_four_hours,
                opening_hours=dict(station.opening_hours or {}),
                holidays=tuple(station.holidays or ()),
                timezone=station.timezone,
                phones=total,
                phones_on=on,
                live=menu,
                prompts=prompts.get(station.id, {}),
                bulk_notices=frozenset(notices.get(station.id, ())),
            )
        )
    return sorted(subjects, key=lambda s: (s.ref.district_code, s.ref.code))


def read_peers(session: Session) -> dict[str, Peer]:
    """Every station by code with the menu its callers hear: transfers may go anywhere."""
    stations = session.execute(
        select(Station.id, Station.code, Station.name_zh, Station.active, Station.languages)
    ).all()
    live = _published(session, [row.id for row in stations])
    return {
        row.code: Peer(
            row.code,
            row.name_zh,
            row.active,
            live[row.id].document if row.id in live else default_menu_yaml(row.languages),
        )
        for row in stations
    }


def _published(session: Session, station_ids: list[int]) -> dict[int, MenuVersion]:
    """Each station's newest published version, in one query."""
    newest = (
        select(MenuVersion.station_id, func.max(MenuVersion.version).label("version"))
        .where(MenuVersion.status == MenuStatus.PUBLISHED)
        .group_by(MenuVersion.station_id)
        .subquery()
    )
    rows = session.scalars(
        select(MenuVersion)
        .join(
            newest,
            and_(
                MenuVersion.station_id == newest.c.station_id,
                MenuVersion.version == newest.c.version,
            ),
        )
        .where(MenuVersion.station_id.in_(station_ids))
    )
    return {row.station_id: row for row in rows}


def _phones(session: Session, station_ids: list[int]) -> dict[int, tuple[int, int]]:
    found: dict[int, tuple[int, int]] = {}
    rows = session.execute(
        select(OnDutyPhone.station_id, OnDutyPhone.active).where(
            OnDutyPhone.station_id.in_(station_ids)
        )
    )
    for station_id, active in rows:
        total, on = found.get(station_id, (0, 0))
        found[station_id] = (total + 1, on + (1 if active else 0))
    return found


def _prompts(session: Session, station_ids: list[int]) -> dict[int, dict[str, PromptRow]]:
    found: dict[int, dict[str, PromptRow]] = {}
    rows = session.execute(
        select(
            PromptFile.station_id, PromptFile.name, PromptFile.sha256, PromptFile.storage_path
        ).where(PromptFile.station_id.in_(station_ids))
    )
    for station_id, name, sha256, path in rows:
        found.setdefault(station_id, {})[name] = PromptRow(name, sha256, path)
    return found


def _bulk_notices(session: Session, station_ids: list[int]) -> dict[int, set[str]]:
    """The node ids of notices placed at each station by 批量更新菜单 (audit log)."""
    found: dict[int, set[str]] = {}
    rows = session.execute(
        # By object (an indexed pair): the audit log holds every play of every recording.
        select(AuditLog.station_id, AuditLog.detail).where(
            AuditLog.object_type == "station",
            AuditLog.object_id.in_([str(i) for i in station_ids]),
            AuditLog.action == "menu.bulk_notice",
        )
    )
    for station_id, detail in rows:
        node = detail.get("node") if isinstance(detail, dict) else None
        if isinstance(node, str):
            found.setdefault(station_id, set()).add(node)
    return found
