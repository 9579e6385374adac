"""The menu editor's rules: the document being edited, drafts, publishing and rollback.

Every save is a new :class:`MenuVersion` row numbered one past the station's highest, so
nothing anyone saved is ever lost. A draft may hold a document with problems; publishing
never does. Each change names the version the editor loaded (``base_version``, 0 for a
station with no versions): if someone saved a newer one meanwhile, the change is refused
with :class:`StaleEdit` and nothing is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.prompts import prompt_names
from ivr.menus.validate import (
    MAX_DOCUMENT_BYTES,
    MenuInvalid,
    MenuProblem,
    ParsedMenu,
    parse_menu,
    too_large,
)
from ivr.menus.versions import known_station_codes, published_version
from ivr.menus.wording import N_
from ivr.menus.yaml_source import YamlInvalid, dump_yaml, load_yaml
from models import MenuStatus, MenuVersion, Station, User, utcnow

MAX_VERSION = 2**31  # version numbers are 32-bit integers in the database
# Menus list their options as callers hear them: 1 first, 0 (often "a person") last.
PHONE_KEY_ORDER = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")


class StaleEdit(Exception):
    """Someone saved a newer version than the one the editor loaded; ``latest`` is it."""

    def __init__(self, latest: MenuVersion) -> None:
        super().__init__(f"version {latest.version} was saved after the one being edited")
        self.latest = latest


class UnknownVersion(LookupError):
    """No version with that number at this station."""


class AlreadyLive(Exception):
    """Rolling back to the version callers hear already."""


@dataclass(frozen=True)
class EditorDocument:
    """What the editor opens: the latest version of any status, else the default template."""

    text: str
    version: MenuVersion | None  # None: nothing saved yet, ``text`` is the default template
    live: MenuVersion | None  # the published version callers hear; None: the default template

    @property
    def base_version(self) -> int:
        return self.version.version if self.version is not None else 0


@dataclass(frozen=True)
class Saved:
    version: MenuVersion
    created: bool  # False: the text was unchanged, so nothing was stored


def latest_version(session: Session, station_id: int) -> MenuVersion | None:
    return session.scalars(
        select(MenuVersion)
        .where(MenuVersion.station_id == station_id)
        .order_by(MenuVersion.version.desc())
        .limit(1)
    ).first()


def version_by_number(session: Session, station_id: int, number: int) -> MenuVersion:
    if not 0 < number < MAX_VERSION:
        raise UnknownVersion(f"station {station_id} has no menu version {number}")
    version = session.scalar(
        select(MenuVersion).where(
            MenuVersion.station_id == station_id, MenuVersion.version == number
        )
    )
    if version is None:
        raise UnknownVersion(f"station {station_id} has no menu version {number}")
    return version


def versions(session: Session, station_id: int) -> list[MenuVersion]:
    """Every version of the station's menu, newest first."""
    return list(
        session.scalars(
            select(MenuVersion)
            .where(MenuVersion.station_id == station_id)
            .order_by(MenuVersion.version.desc())
        )
    )


def editor_document(session: Session, station: Station) -> EditorDocument:
    latest = latest_version(session, station.id)
    live = published_version(session, station.id)
    text = latest.document if latest is not None else default_menu_yaml(station.languages)
    return EditorDocument(text, latest, live)


def text_of(session: Session, station: Station, number: int) -> str:
    """The document of version ``number``; 0 is the default template the station started on."""
    if number == 0:
        return default_menu_yaml(station.languages)
    return version_by_number(session, station.id, number).document


def validate(session: Session, station: Station, text: str) -> ParsedMenu:
    """The check publishing makes: transfers to known stations, ``play`` files in the
    station's prompt library. Raises MenuInvalid."""
    return parse_menu(
        text,
        known_stations=known_station_codes(session),
        known_prompts=prompt_names(session, station.id),
    )


def check_fresh(session: Session, station: Station, base_version: int) -> MenuVersion | None:
    """The station's latest version, or StaleEdit if it is newer than ``base_version``."""
    latest = latest_version(session, station.id)
    if latest is not None and latest.version > base_version:
        raise StaleEdit(latest)
    return latest


def save_draft(
    session: Session,
    station: Station,
    text: str,
    user: User | None,
    base_version: int,
    note: str = "",
) -> Saved:
    """Store ``text`` as a new draft, problems and all; unchanged text stores nothing.

    Only text that could never be a menu is refused (MenuInvalid): too large, or holding
    characters no database column can keep.
    """
    _check_storable(text)
    latest = check_fresh(session, station, base_version)
    if latest is not None and latest.document == text:
        return Saved(latest, created=False)
    template_id = latest.template_id if latest is not None else None
    return Saved(_store(session, station, text, user, note, template_id, publish=False), True)


def publish(
    session: Session,
    station: Station,
    text: str,
    user: User | None,
    base_version: int,
    note: str = "",
) -> Saved:
    """Publish ``text`` as the station's new live menu; MenuInvalid stores nothing.

    Publishing the very text that is live already stores nothing.
    """
    validate(session, station, text)
    latest = check_fresh(session, station, base_version)
    if latest is not None and latest.status is MenuStatus.PUBLISHED and latest.document == text:
        return Saved(latest, created=False)
    template_id = latest.template_id if latest is not None else None
    return Saved(_store(session, station, text, user, note, template_id, publish=True), True)


def rollback(
    session: Session, station: Station, version_number: int, user: User | None, base_version: int
) -> MenuVersion:
    """Publish a new version with version ``version_number``'s document; the old row stays."""
    old = version_by_number(session, station.id, version_number)
    live = published_version(session, station.id)
    if live is not None and live.id == old.id:
        raise AlreadyLive(f"version {version_number} is live already")
    validate(session, station, old.document)
    check_fresh(session, station, base_version)
    note = f"回滚到第{version_number}版"
    return _store(session, station, old.document, user, note, old.template_id, publish=True)


def _check_storable(text: str) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise MenuInvalid([MenuProblem("(document)", too_large(size))])
    if "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text):
        raise MenuInvalid([MenuProblem("(document)", N_("文本里有无效的字符"))])


def _store(
    session: Session,
    station: Station,
    text: str,
    user: User | None,
    note: str,
    template_id: int | None,
    *,
    publish: bool,
    now: datetime | None = None,
) -> MenuVersion:
    highest = session.scalar(
        select(func.max(MenuVersion.version)).where(MenuVersion.station_id == station.id)
    )
    row = MenuVersion(
        station_id=station.id,
        version=(highest or 0) + 1,
        status=MenuStatus.PUBLISHED if publish else MenuStatus.DRAFT,
        document=text,
        note=note[:500],
        created_by_id=user.id if user is not None else None,
        created_at=now or utcnow(),
        published_at=(now or utcnow()) if publish else None,
        template_id=template_id,
    )
    try:
        # Two editors saving at the same instant both compute the same number; the
        # unique (station, version) constraint lets one win, and the other is stale.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        latest = latest_version(session, station.id)
        if latest is None:
            raise
        raise StaleEdit(latest) from None
    return row


def tree_document(text: str) -> dict[str, object] | None:
    """The document as the tree editor's plain mapping, or None if it cannot be one.

    None for text that is not a YAML mapping, and for text with repeated keys or keys that
    only differ in type (``1`` and ``"1"``): the tree would silently keep just one of them.
    """
    try:
        loaded = load_yaml(text)
    except YamlInvalid:
        return None
    if loaded.duplicates or not isinstance(loaded.data, dict):
        return None
    try:
        return _plain(loaded.data)  # type: ignore[return-value]
    except (_KeysCollide, RecursionError):  # RecursionError: an alias inside itself
        return None


def yaml_text(document: object) -> str:
    """The tree editor's mapping as readable YAML: document order, Chinese unescaped.

    Phone keys of options and choices come in :data:`PHONE_KEY_ORDER`: a browser keeps
    the keys of a mapping in its own order (numeric keys first, ascending).
    """
    if isinstance(document, dict) and isinstance(document.get("nodes"), dict):
        nodes = {node_id: _keys_in_phone_order(node) for node_id, node in document["nodes"].items()}
        document = {**document, "nodes": nodes}
    return dump_yaml(document)


def _keys_in_phone_order(node: object) -> object:
    if not isinstance(node, dict):
        return node
    node = dict(node)
    for name in ("options", "choices"):
        if isinstance(node.get(name), dict):
            keys = sorted(node[name], key=_phone_key_rank)
            node[name] = {key: node[name][key] for key in keys}
    return node


def _phone_key_rank(key: object) -> int:
    return PHONE_KEY_ORDER.index(key) if key in PHONE_KEY_ORDER else len(PHONE_KEY_ORDER)


class _KeysCollide(Exception):
    pass


def _plain(value: object) -> object:
    """JSON-safe data: keys as the author wrote them, odd scalars (dates) as text."""
    if isinstance(value, dict):
        result = {_key(k): _plain(v) for k, v in value.items()}
        if len(result) != len(value):
            raise _KeysCollide
        return result
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool) or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    try:
        return str(key)
    except ValueError:  # an int too long to print: the tree cannot show it
        raise _KeysCollide from None
