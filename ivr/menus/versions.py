"""Stations' menus: which one a call uses, drafts and publishing, and parsing once.

A call names its menu with a short reference carried in every webhook URL, so a menu
published mid-call does not change the ground under a caller:

- ``v<id>``: a stored MenuVersion;
- ``d<station id>``: the default template for a station that has published nothing;
- ``u``: the built-in menu for numbers assigned to no station.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.menus.default_menu import UNASSIGNED_MENU, default_menu_yaml
from ivr.menus.document import Menu
from ivr.menus.engine import MenuPositionInvalid
from ivr.menus.prompts import prompt_names
from ivr.menus.validate import parse_menu
from models import MenuStatus, MenuVersion, Station, User, utcnow

UNASSIGNED = "u"


@lru_cache(maxsize=1024)
def _parsed(digest: str, text: str) -> Menu:
    # Keyed by content: a published version never changes, so each is parsed once per
    # process; the digest keeps the key small in the cache's bookkeeping.
    return parse_menu(text).menu


def parse_cached(text: str) -> Menu:
    return _parsed(hashlib.sha1(text.encode()).hexdigest(), text)


PUBLISHED_CACHE_SIZE = 4096
PublishedCache = dict[int, tuple[Menu, int]]

UNASSIGNED_YAML = yaml.safe_dump(UNASSIGNED_MENU, allow_unicode=True, sort_keys=False)


def published_version(session: Session, station_id: int) -> MenuVersion | None:
    return session.scalars(
        select(MenuVersion)
        .where(MenuVersion.station_id == station_id, MenuVersion.status == MenuStatus.PUBLISHED)
        .order_by(MenuVersion.version.desc())
        .limit(1)
    ).first()


def menu_ref_for(session: Session, station: Station | None) -> str:
    if station is None:
        return UNASSIGNED
    version = published_version(session, station.id)
    return f"v{version.id}" if version is not None else f"d{station.id}"


def load_menu(
    session: Session, ref: str, published: PublishedCache | None = None
) -> tuple[Menu, int | None]:
    """The menu a reference names and the station it belongs to (None: unassigned).

    ``published`` caches parsed published versions by id; it must belong to one
    database (the app keeps one), since ids mean nothing across databases.
    """
    published = {} if published is None else published
    if ref == UNASSIGNED:
        return parse_cached(UNASSIGNED_YAML), None
    kind, number = ref[:1], ref[1:]
    if not (number.isascii() and number.isdigit()) or len(number) > 12 or kind not in ("v", "d"):
        raise MenuPositionInvalid(f"no menu {ref!r}")
    if kind == "v":
        cached = published.get(int(number))
        if cached is not None:
            return cached
        version = session.get(MenuVersion, int(number))
        if version is None:
            raise MenuPositionInvalid(f"no menu version {number}")
        loaded = parse_cached(version.document), version.station_id
        if version.status is MenuStatus.PUBLISHED:
            # Published versions never change: each process reads each one once.
            if len(published) >= PUBLISHED_CACHE_SIZE:
                published.clear()
            published[version.id] = loaded
        return loaded
    station = session.get(Station, int(number))
    if station is None:
        raise MenuPositionInvalid(f"no station {number}")
    return parse_cached(default_menu_yaml(station.languages)), station.id


def known_station_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Station.code)))


def save_version(
    session: Session,
    station: Station,
    document: str,
    *,
    publish: bool,
    user: User | None = None,
    note: str = "",
    now: datetime | None = None,
) -> MenuVersion:
    """Validate ``document`` and store it as the station's next version (MenuInvalid if not).

    Transfers must name known stations, and ``play`` files the station's prompt library.
    The new version keeps the shared template the previous one was derived from.
    """
    parse_menu(
        document,
        known_stations=known_station_codes(session),
        known_prompts=prompt_names(session, station.id),
    )
    latest = session.execute(
        select(MenuVersion.version, MenuVersion.template_id)
        .where(MenuVersion.station_id == station.id)
        .order_by(MenuVersion.version.desc())
        .limit(1)
    ).first()
    version = MenuVersion(
        station_id=station.id,
        version=(latest.version if latest else 0) + 1,
        # Still derived from the same shared template: the base of its next merge.
        template_id=latest.template_id if latest else None,
        status=MenuStatus.PUBLISHED if publish else MenuStatus.DRAFT,
        document=document,
        note=note,
        created_by_id=user.id if user else None,
        published_at=(now or utcnow()) if publish else None,
    )
    session.add(version)
    session.flush()
    return version
