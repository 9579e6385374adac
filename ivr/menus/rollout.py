"""Changing many stations' menus in one action: a template or a notice, rolled out.

A district or city admin applies a template (a saved :class:`MenuTemplate` version, or
the built-in default) or a single notice to many stations. For each station the change
is worked out from its latest version (draft or published; the default template if it
has none), validated, and stored as a new version in a savepoint of its own, so one
station's failure leaves the others' results standing. Each station's outcome comes back
as a :class:`StationResult`.

Stations' menus are mostly alike (the demo's 203 are copies of the default in a handful
of language sets), so every distinct document is loaded, merged and validated once per
action: 200+ stations take well under a second.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.document import Menu
from ivr.menus.fields import MAX_SAY_CHARS, NODE_ID
from ivr.menus.merge import (
    PLACEMENTS,
    Document,
    NoticeInvalid,
    Placement,
    for_languages,
    place_notice,
    remove_notice,
    three_way,
)
from ivr.menus.validate import MenuInvalid, MenuProblem, parse_menu
from ivr.menus.versions import known_station_codes
from ivr.menus.yaml_source import YamlInvalid, dump_yaml, load_yaml
from models import AuditLog, MenuStatus, MenuTemplate, MenuVersion, Station, User, utcnow


class Outcome(enum.Enum):
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass
class StationResult:
    """What one station's menu became. ``version``: the new version (updated; in a dry run,
    the number it would get) or the current one (unchanged)."""

    station_id: int | None  # None: a station the admin may not manage (never touched)
    code: str
    name: str
    outcome: Outcome
    version: int | None = None
    kept: list[str] = field(default_factory=list)  # the station's own changes kept
    conflicts: list[str] = field(default_factory=list)  # kept where the template differed
    problems: list[Any] = field(default_factory=list)  # why it failed
    from_draft: bool = False  # the station's latest version, worked from, was a draft
    change: str = ""  # for notices: inserted_after_language, inserted_at_start, replaced…


# Applying --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """A station's menu after the change, worked out once per distinct input."""

    document: Document
    text: str
    menu: Menu | None  # None: invalid
    problems: list[Any]
    kept: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    change: str = ""


class _Documents:
    """Per-action caches: each distinct text is loaded, and each result validated, once."""

    def __init__(self, known_stations: set[str]) -> None:
        self.known_stations = known_stations
        self._loaded: dict[str, Document] = {}
        self._parsed: dict[str, Menu | None] = {}
        self._problems: dict[str, list[Any]] = {}

    def load(self, text: str) -> Document:
        """The document ``text`` holds; MenuInvalid if it is not a mapping (e.g. a broken
        draft saved from an editor)."""
        if text not in self._loaded:
            try:
                data: object = load_yaml(text).data
            except YamlInvalid as error:
                data = error
            languages = data.get("languages") if isinstance(data, dict) else None
            if (
                not isinstance(data, dict)
                or not isinstance(data.get("nodes"), dict)
                or not isinstance(languages, list)
                or not all(isinstance(code, str) for code in languages)
            ):
                message = _l("这个站点现在的菜单无法作为菜单文档读取")
                raise MenuInvalid([MenuProblem("(document)", message)])
            self._loaded[text] = data
        return self._loaded[text]  # shared: the merge functions never change their inputs

    def menu(self, text: str) -> Menu | None:
        """The menu ``text`` describes, or None (its problems in :meth:`problems`)."""
        if text not in self._parsed:
            try:
                self._parsed[text] = parse_menu(text, known_stations=self.known_stations).menu
                self._problems[text] = []
            except MenuInvalid as error:
                self._parsed[text] = None
                self._problems[text] = [str(problem) for problem in error.errors]
        return self._parsed[text]

    def problems(self, text: str) -> list[Any]:
        self.menu(text)
        return self._problems[text]

    def plan(self, document: Document, **details: Any) -> _Plan:
        text = dump_yaml(document)
        menu = self.menu(text)
        return _Plan(document, text, menu, self.problems(text), **details)


# A change, given the station, its current text and its base template's text: the plan.
Change = Callable[[Station, str, str, _Documents], _Plan]


@dataclass(frozen=True)
class _Action:
    audit: str  # the audit log's action
    note: str  # the new versions' note
    detail: dict[str, Any]
    change: Change
    template_id: Callable[[MenuVersion | None], int | None]  # the new version's template


def apply_template(
    session: Session,
    template: MenuTemplate | None,
    stations: Sequence[Station],
    user: User | None,
    publish: bool,
    *,
    dry_run: bool = False,
    ip: str | None = None,
) -> list[StationResult]:
    """Bring each station's menu in line with ``template`` (None: the built-in default),
    keeping the station's own changes since the template it was last brought in line with."""
    cache: dict[tuple[str, str, str], _Plan] = {}

    def change(station: Station, ours_text: str, base_text: str, docs: _Documents) -> _Plan:
        theirs_text = template.document if template else default_menu_yaml(station.languages)
        key = (ours_text, base_text, theirs_text)
        if key not in cache:
            ours = docs.load(ours_text)
            languages = list(ours.get("languages") or station.languages)
            base = for_languages(docs.load(base_text), languages)
            theirs = for_languages(docs.load(theirs_text), languages)
            merged = three_way(base, ours, theirs)
            cache[key] = docs.plan(merged.document, kept=merged.kept, conflicts=merged.conflicts)
        return cache[key]

    name = f"{template.name} v{template.version}" if template else "built-in default"
    action = _Action(
        audit="menu.bulk_template",
        note=f"bulk: template {name}"[:500],
        detail={"template": name, "template_id": template.id if template else None},
        change=change,
        template_id=lambda _current: template.id if template else None,
    )
    return _apply(session, stations, action, user, publish, dry_run, ip)


def apply_notice(
    session: Session,
    stations: Sequence[Station],
    node_id: str,
    prompts: dict[str, str],
    placement: Placement,
    user: User | None,
    publish: bool,
    *,
    dry_run: bool = False,
    ip: str | None = None,
) -> list[StationResult]:
    """Put a message node ``node_id`` saying ``prompts`` (by language) into each station's
    menu (see :func:`ivr.menus.merge.place_notice`); an existing one gets the new prompts.
    A station offering a language ``prompts`` lacks fails, unchanged."""
    problems = notice_problems(node_id, prompts, placement)
    if problems:
        raise ValueError("; ".join(f"{k}: {v}" for k, v in problems.items()))

    def change(station: Station, ours_text: str, _base: str, docs: _Documents) -> _Plan:
        document, placed = place_notice(docs.load(ours_text), node_id, prompts, placement)
        return docs.plan(document, change=placed)

    action = _Action(
        audit="menu.bulk_notice",
        note=f"bulk: notice {node_id}",
        detail={"node": node_id, "placement": placement, "prompts": dict(prompts)},
        change=_once_per_text(change),
        template_id=_carried,
    )
    return _apply(session, stations, action, user, publish, dry_run, ip)


def withdraw_notice(
    session: Session,
    stations: Sequence[Station],
    node_id: str,
    user: User | None,
    publish: bool,
    *,
    dry_run: bool = False,
    ip: str | None = None,
) -> list[StationResult]:
    """Take the notice ``node_id`` out of each station's menu (unchanged where it is not)."""

    def change(station: Station, ours_text: str, _base: str, docs: _Documents) -> _Plan:
        document, removed = remove_notice(docs.load(ours_text), node_id)
        return docs.plan(document, change=removed)

    action = _Action(
        audit="menu.bulk_notice_withdrawn",
        note=f"bulk: notice {node_id} withdrawn",
        detail={"node": node_id},
        change=_once_per_text(change),
        template_id=_carried,
    )
    return _apply(session, stations, action, user, publish, dry_run, ip)


def notice_problems(node_id: str, prompts: dict[str, str], placement: str) -> dict[str, Any]:
    """What is wrong with a notice as asked, by form field (empty: nothing)."""
    problems: dict[str, Any] = {}
    if not NODE_ID.fullmatch(node_id or ""):
        problems["node_id"] = _l("节点编号须以字母开头，只用字母、数字、_ 和 -，最多64个字符")
    if not any((text or "").strip() for text in prompts.values()):
        problems["prompts"] = _l("请至少填写一种语言的通知内容")
    for language, text in prompts.items():
        if len(text or "") > MAX_SAY_CHARS:
            problems[f"prompt_{language}"] = _l("最多%(n)d个字", n=MAX_SAY_CHARS)
        elif text and not text.strip():
            problems[f"prompt_{language}"] = _l("内容不能只有空格")
    if placement not in PLACEMENTS:
        problems["placement"] = _l("请选择通知的位置")
    return problems


def _once_per_text(change: Change) -> Change:
    """A notice depends only on the station's current text: work it out once per text."""
    cache: dict[str, _Plan] = {}

    def cached(station: Station, ours_text: str, base_text: str, docs: _Documents) -> _Plan:
        if ours_text not in cache:
            cache[ours_text] = change(station, ours_text, base_text, docs)
        return cache[ours_text]

    return cached


def _carried(current: MenuVersion | None) -> int | None:
    # A notice is the station's own change on top of its template: the base stays.
    return current.template_id if current is not None else None


def _apply(
    session: Session,
    stations: Sequence[Station],
    action: _Action,
    user: User | None,
    publish: bool,
    dry_run: bool,
    ip: str | None,
) -> list[StationResult]:
    latest = _latest_versions(session, [s.id for s in stations])
    bases = template_documents(session, {v.template_id for v in latest.values()})
    docs = _Documents(known_station_codes(session))
    results = []
    for station in stations:
        current = latest.get(station.id)
        ours_text = current.document if current else default_menu_yaml(station.languages)
        base_text = bases.get(current.template_id) if current and current.template_id else None
        result = StationResult(
            station.id,
            station.code,
            station.name_zh,
            Outcome.FAILED,
            from_draft=current is not None and current.status is MenuStatus.DRAFT,
        )
        try:
            plan = action.change(
                station, ours_text, base_text or default_menu_yaml(station.languages), docs
            )
        except MenuInvalid as error:
            result.problems = [str(problem) for problem in error.errors]
            results.append(result)
            continue
        except NoticeInvalid as error:
            node = error.path.removeprefix("nodes.")
            message = _l("菜单里已有节点 %(node)s，但它不是通知（message）节点", node=node)
            result.problems = [message]
            results.append(result)
            continue
        except (TypeError, ValueError, RecursionError) as error:
            # A station's own draft of a shape the merge cannot follow fails that station
            # alone; the others' results stand.
            message = _l("这个站点的菜单无法合并（%(error)s）", error=str(error))
            result.problems = [f"(document): {message}"]
            results.append(result)
            continue
        result.kept, result.conflicts, result.change = plan.kept, plan.conflicts, plan.change
        if plan.menu is None:
            result.problems = plan.problems
        elif _unchanged(plan, ours_text, current, publish, docs):
            result.outcome = Outcome.UNCHANGED
            result.version = current.version if current else None
        elif dry_run:
            result.outcome = Outcome.UPDATED
            result.version = (current.version if current else 0) + 1
        else:
            _store(session, station, current, plan, action, user, publish, ip, result)
        results.append(result)
    return results


def _unchanged(
    plan: _Plan, ours_text: str, current: MenuVersion | None, publish: bool, docs: _Documents
) -> bool:
    """The result says what callers (or, for drafts, the draft) say already."""
    if plan.text != ours_text and plan.menu != docs.menu(ours_text):
        return False
    # Publishing an unchanged draft still changes what callers hear.
    return not (publish and current is not None and current.status is MenuStatus.DRAFT)


def _store(
    session: Session,
    station: Station,
    current: MenuVersion | None,
    plan: _Plan,
    action: _Action,
    user: User | None,
    publish: bool,
    ip: str | None,
    result: StationResult,
) -> None:
    now = utcnow()
    number = (current.version if current else 0) + 1
    try:
        with session.begin_nested():
            session.add(
                MenuVersion(
                    station_id=station.id,
                    version=number,
                    status=MenuStatus.PUBLISHED if publish else MenuStatus.DRAFT,
                    document=plan.text,
                    note=action.note,
                    created_by_id=user.id if user else None,
                    published_at=now if publish else None,
                    template_id=action.template_id(current),
                )
            )
            detail = {
                **action.detail,
                "version": number,
                "published": publish,
                "kept": plan.kept,
                "change": plan.change,
            }
            session.add(
                AuditLog(
                    at=now,
                    user_id=user.id if user else None,
                    action=action.audit,
                    object_type="station",
                    object_id=str(station.id),
                    station_id=station.id,
                    ip=ip,
                    detail=detail,
                )
            )
            session.flush()
    except IntegrityError:
        result.problems = [_l("刚有人保存了这个站点的菜单，请重试")]
        return
    result.outcome = Outcome.UPDATED
    result.version = number


def _latest_versions(session: Session, station_ids: list[int]) -> dict[int, MenuVersion]:
    """Each station's newest version (draft or published), in one query."""
    if not station_ids:
        return {}
    newest = (
        select(MenuVersion.station_id, func.max(MenuVersion.version).label("version"))
        .where(MenuVersion.station_id.in_(station_ids))
        .group_by(MenuVersion.station_id)
        .subquery()
    )
    rows = session.scalars(
        select(MenuVersion).join(
            newest,
            and_(
                MenuVersion.station_id == newest.c.station_id,
                MenuVersion.version == newest.c.version,
            ),
        )
    )
    return {row.station_id: row for row in rows}


def template_documents(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = session.execute(
        select(MenuTemplate.id, MenuTemplate.document).where(MenuTemplate.id.in_(wanted))
    )
    return {row.id: row.document for row in rows}
