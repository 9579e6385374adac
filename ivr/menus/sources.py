"""Which of a station's menus an admin can look at: the latest draft, the live one, history.

The diagram and the test call both let the admin pick one. A choice is named as the
pages name it: ``draft``, ``live``, or a version number; the live menu of a station that
has published nothing is the default template, under the reference ``d<station id>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.menus.default_menu import default_menu_yaml
from models import MenuStatus, MenuVersion, Station


@dataclass(frozen=True)
class MenuSource:
    choice: str  # "draft", "live" or a version number, as the pages' select names it
    ref: str  # the reference calls carry: v<id>, or d<station id> for the default template
    document: str
    version: MenuVersion | None  # None: the default template


def menu_sources(session: Session, station: Station) -> list[MenuSource]:
    """The latest draft (if any), the live menu, then every version, newest first."""
    versions = list(
        session.scalars(
            select(MenuVersion)
            .where(MenuVersion.station_id == station.id)
            .order_by(MenuVersion.version.desc())
        )
    )
    live = next((v for v in versions if v.status is MenuStatus.PUBLISHED), None)
    draft = next((v for v in versions if v.status is MenuStatus.DRAFT), None)
    sources = [MenuSource("draft", f"v{draft.id}", draft.document, draft)] if draft else []
    if live is not None:
        sources.append(MenuSource("live", f"v{live.id}", live.document, live))
    else:
        default = default_menu_yaml(list(station.languages or ["zh"]))
        sources.append(MenuSource("live", f"d{station.id}", default, None))
    sources.extend(MenuSource(str(v.version), f"v{v.id}", v.document, v) for v in versions)
    return sources


def pick_source(sources: list[MenuSource], choice: str | None) -> MenuSource | None:
    """The source ``choice`` names (None if none does); by default the latest draft when it
    is newer than the live menu, otherwise the live menu."""
    if choice:
        return next((s for s in sources if s.choice == choice), None)
    draft = next((s for s in sources if s.choice == "draft"), None)
    live = next(s for s in sources if s.choice == "live")
    if (
        draft
        and draft.version
        and (live.version is None or draft.version.version > live.version.version)
    ):
        return draft
    return live
