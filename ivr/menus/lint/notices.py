"""Notices still published long after they were last changed.

A notice is a message node outside the station's template — placed by the notice form of
批量更新菜单 (the audit log names it), or any whose id says ``notice`` — that callers
can reach. Its age runs from the first published version, in the unbroken run up to the
live one, whose notice said what callers hear now: re-publishing the same words does not
make a notice new, changing them does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.menus.default_menu import default_menu
from ivr.menus.lint.problems import Problem, Severity
from ivr.menus.lint.station import LiveStation
from ivr.menus.wording import N_
from ivr.menus.yaml_source import YamlInvalid, load_yaml
from models import MenuStatus, MenuVersion

DEFAULT_NOTICE_DAYS = 30
MAX_VERSIONS_READ = 200  # history read back per station: older than this counts as this old

NoticeAges = dict[tuple[int, str], datetime]  # (station id, node id) → published since


def candidates(station: LiveStation) -> list[str]:
    subject = station.subject
    template = _template_nodes(subject.live.template_text, list(station.menu.languages))
    return [
        node_id
        for node_id, _node in station.reachable_nodes("message")
        if node_id not in template
        and (node_id in subject.bulk_notices or "notice" in node_id.lower())
    ]


def _template_nodes(text: str | None, languages: list[str]) -> set[str]:
    if text is not None:
        try:
            data = load_yaml(text).data
        except YamlInvalid:
            data = None
        if isinstance(data, dict) and isinstance(data.get("nodes"), dict):
            return {str(key) for key in data["nodes"]}
    return set(default_menu(languages)["nodes"])


def read_ages(session: Session, stations: list[LiveStation]) -> NoticeAges:
    """Since when each candidate notice has said what it says now (one query a station
    with notices; versions newest first, read until the words differ)."""
    ages: NoticeAges = {}
    for station in stations:
        wanted = candidates(station)
        if not wanted or station.subject.live.version is None:
            continue
        live = _nodes(station.subject.live.text)
        open_ids = {node_id: live.get(node_id) for node_id in wanted}
        rows = session.execute(
            select(MenuVersion.document, MenuVersion.published_at, MenuVersion.created_at)
            .where(
                MenuVersion.station_id == station.subject.ref.id,
                MenuVersion.status == MenuStatus.PUBLISHED,
            )
            .order_by(MenuVersion.version.desc())
            .limit(MAX_VERSIONS_READ)
        )
        for document, published_at, created_at in rows:
            nodes = _nodes(document)
            for node_id in list(open_ids):
                if _words(nodes.get(node_id)) != _words(open_ids[node_id]):
                    del open_ids[node_id]
                else:
                    ages[(station.subject.ref.id, node_id)] = published_at or created_at
            if not open_ids:
                break
    return ages


def _nodes(text: str) -> dict[str, object]:
    try:
        data = load_yaml(text).data
    except YamlInvalid:
        return {}
    nodes = data.get("nodes") if isinstance(data, dict) else None
    return nodes if isinstance(nodes, dict) else {}


def _words(node: object) -> object:
    return node.get("prompt") if isinstance(node, dict) else None


def stale_notices(
    station: LiveStation, ages: NoticeAges, now: datetime, days: int
) -> Iterator[Problem]:
    for node_id in candidates(station):
        since = ages.get((station.subject.ref.id, node_id))
        if since is None:
            continue
        if now - since > timedelta(days=days):
            message = N_(
                "通知自 %(date)s 起未更新，已播放 %(days)d 天（超过 %(limit)d 天）",
                date=since.date().isoformat(),
                days=(now - since).days,
                limit=days,
            )
            yield station.problem("notice_stale", Severity.WARNING, node_id, message)
