"""The checks of one station's settings against its live menu: each small and named,
each yielding :class:`Problem` values. Pure: no database, no files.

Prompt audio, transfer chains and stale notices need more than one station's facts and
live in ``prompt_levels``, ``chains`` and ``notices``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import time

from ivr.menus.hours import WEEKDAYS, HoursInvalid, OpeningHours
from ivr.menus.lint.problems import Problem, Severity
from ivr.menus.lint.station import LiveStation, language_name
from ivr.menus.wording import N_

# A prompt promising the line is always open.
ROUND_THE_CLOCK = re.compile(r"24\s*(小时|小時|hours?\b|/\s*7)|全天候|around the clock", re.I)


def no_published_menu(station: LiveStation) -> Iterator[Problem]:
    if station.subject.live.version is None:
        message = N_("还没有发布菜单：来电者听到的是全市默认模板")
        yield station.problem("no_published_menu", Severity.WARNING, None, message)


def forward_unstaffed(station: LiveStation) -> Iterator[Problem]:
    """A forward callers can reach while nobody can be rung: they hear "connecting you"
    and then only the voicemail."""
    subject = station.subject
    if subject.phones_on:
        return
    if subject.phones:
        message = N_("来电者可以转接值班电话，但名单上 %(n)d 部电话都已关闭", n=subject.phones)
    else:
        message = N_("来电者可以转接值班电话，但值班电话名单是空的")
    for node_id, _node in station.reachable_nodes("forward"):
        yield station.problem("forward_unstaffed", Severity.ERROR, node_id, message, "roster")


def opening_hours(station: LiveStation) -> Iterator[Problem]:
    """Hours that cannot be read, are missing, or say otherwise than the 24-hour switch."""
    subject = station.subject
    hours_node = station.first_reachable("hours")
    try:
        hours = OpeningHours.from_settings(
            subject.timezone,
            subject.twenty_four_hours,
            subject.opening_hours,
            list(subject.holidays),
        )
    except HoursInvalid as error:
        message = N_("开放时间无法读取（%(reason)s）：按24小时开放处理", reason=str(error))
        yield station.problem("hours_unreadable", Severity.WARNING, hours_node, message, "hours")
        return
    spans = [span for day in WEEKDAYS for span in hours.weekly.get(day, ())]
    if subject.twenty_four_hours:
        if spans and not _whole_week(hours):
            message = N_("设为24小时开放，但也填写了开放时间：这些时间不起作用")
            yield station.problem("hours_ignored", Severity.WARNING, hours_node, message, "hours")
        if subject.holidays:
            message = N_("设为24小时开放，节假日设置不起作用（%(n)d 天）", n=len(subject.holidays))
            yield station.problem("holidays_ignored", Severity.INFO, None, message, "hours")
        return
    if not spans and hours_node is not None:
        message = N_("没有填写开放时间，也没有设为24小时开放：这里永远走“开放时间外”")
        yield station.problem("hours_missing", Severity.ERROR, hours_node, message, "hours")
    if _whole_week(hours):
        return
    claimed = sorted(
        {node_id for node_id, _f, _l, p in station.prompts() if ROUND_THE_CLOCK.search(p.say or "")}
    )
    for node_id in claimed:
        message = N_("提示语说24小时服务，但站点只在开放时间内接听")
        yield station.problem("hours_claim_24h", Severity.WARNING, node_id, message, "hours")


def _whole_week(hours: OpeningHours) -> bool:
    return all((time(0), time.max) in hours.weekly.get(day, ()) for day in WEEKDAYS)


def languages(station: LiveStation) -> Iterator[Problem]:
    """A language the station offers that the menu has no prompts for, or one the menu
    has prompts for that no caller can choose."""
    menu = station.menu
    for code in station.subject.languages:
        if code not in menu.languages:
            message = N_(
                "站点设置提供%(language)s，但线上菜单没有%(language)s的提示语",
                language=language_name(code),
            )
            yield station.problem(
                "language_without_prompts", Severity.WARNING, None, message, "profile"
            )
    choosable = {menu.languages[0]}
    for _node_id, node in station.reachable_nodes("language"):
        choosable.update(node.choices.values())  # type: ignore[union-attr]
    for code in menu.languages:
        if code not in choosable:
            message = N_(
                "菜单有%(language)s的提示语，但来电者没有按键可以选择它",
                language=language_name(code),
            )
            yield station.problem("language_not_choosable", Severity.WARNING, menu.start, message)


STATION_CHECKS = (no_published_menu, forward_unstaffed, opening_hours, languages)
