"""The demo's one deliberate menu problem, so that 菜单健康检查 has something to show.

琶洲街 (海珠区) put up a notice about its weekend testing site 45 days ago, through the
notice form of 批量更新菜单, and nobody took it down: callers still hear it first. Every
other demo menu is the default template, and clean.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.merge import place_notice
from ivr.menus.validate import parse_menu
from ivr.menus.yaml_source import dump_yaml, load_yaml
from models import AuditLog, MenuStatus, MenuVersion, Station

STALE_NOTICE_STATION = "haizhu-pazhou"
STALE_NOTICE_NODE = "notice_testing"
STALE_NOTICE_DAYS = 45
STALE_NOTICE = {
    "zh": "通知：本周六、周日，琶洲街核酸检测点改在街道办事处广场，时间为上午八点至十二点。",
    "yue": "通知：今個星期六、日，琶洲街核酸檢測點改喺街道辦事處廣場，時間係朝早八點至十二點。",
    "en": "Notice: this Saturday and Sunday, the Pazhou testing site moves to the square "
    "of the subdistrict office, from 8 a.m. to noon.",
}


def add_stale_notice(session: Session, now: datetime) -> str:
    """Publish 琶洲街's default menu and, a day later, its notice — both long ago — if the
    station has no menu yet. Returns what was done, for the demo's output."""
    station = session.scalar(select(Station).where(Station.code == STALE_NOTICE_STATION))
    if station is None or session.scalar(
        select(MenuVersion.id).where(MenuVersion.station_id == station.id).limit(1)
    ):
        return ""
    default = default_menu_yaml(station.languages)
    document, _change = place_notice(
        load_yaml(default).data, STALE_NOTICE_NODE, STALE_NOTICE, "after_language"
    )
    text = dump_yaml(document)
    parse_menu(text)
    posted = now - timedelta(days=STALE_NOTICE_DAYS)
    for number, body, note, at in (
        (1, default, "default template", posted - timedelta(days=1)),
        (2, text, f"bulk: notice {STALE_NOTICE_NODE}", posted),
    ):
        session.add(
            MenuVersion(
                station_id=station.id,
                version=number,
                status=MenuStatus.PUBLISHED,
                document=body,
                note=note,
                created_at=at,
                published_at=at,
            )
        )
    session.add(
        AuditLog(
            at=posted,
            action="menu.bulk_notice",
            object_type="station",
            object_id=str(station.id),
            station_id=station.id,
            detail={
                "node": STALE_NOTICE_NODE,
                "placement": "after_language",
                "prompts": dict(STALE_NOTICE),
                "version": 2,
                "published": True,
            },
        )
    )
    session.flush()
    return (
        f"menus: {station.name_zh} still plays a notice published {STALE_NOTICE_DAYS} days ago "
        "(菜单健康检查 lists it)"
    )
