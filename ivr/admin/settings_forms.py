"""Reading the station settings forms: what the admin typed, checked, as values to store.

Each ``read_*`` function takes the submitted form and returns ``(values, errors)``: the
values are ready to set on the station (or a row) when ``errors`` (field → message, shown
next to that field) is empty. Nothing here touches the database; the views pass in what
must be looked up (numbers already on the roster, rules the station already has).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from ivr.menus.hours import WEEKDAYS, HoursInvalid, OpeningHours
from ivr.phone import PhoneInvalid, normalise
from ivr.tickets.tags import CATALOGUE, TagInvalid, normalise_tag

Form = MultiDict[str, str]
Errors = dict[str, str]

LANGUAGES = {"zh": _l("普通话"), "yue": _l("粤语"), "en": _l("英语")}
# Offered first in the timezone field; any other IANA name may be typed.
TIMEZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei", "UTC")
WEEKDAY_NAMES = {
    "mon": _l("周一"),
    "tue": _l("周二"),
    "wed": _l("周三"),
    "thu": _l("周四"),
    "fri": _l("周五"),
    "sat": _l("周六"),
    "sun": _l("周日"),
}
NAME_MAX = 100  # the columns' length
HOLIDAYS_MAX = 400
SLA_URGENT = (5, 24 * 60)  # minutes: at least 5, at most a day
SLA_NORMAL = (30, 7 * 24 * 60)  # at most a week
ROSTER_MAX = 30
RULES_MAX = 300
# Put on tickets by the system itself; a keyword must not claim a caller hung up.
RESERVED_TAGS = frozenset({"abandoned"})
RULE_TAGS = tuple(code for code in CATALOGUE if code not in RESERVED_TAGS)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_RANGE = re.compile(r"(\d{1,2}:\d{2})-(\d{1,2}:\d{2})")
_DASH = re.compile(r"\s*[-–—~至到]\s*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Machine-specific names that zoneinfo resolves but that mean nothing on another server.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


def _text(form: Form, name: str) -> str:
    return form.get(name, "").strip()


def _name(form: Form, name: str, errors: Errors, required: bool) -> str:
    value = " ".join(_text(form, name).split())
    if required and not value:
        errors[name] = _("请填写名称")
    elif not value.isprintable():
        errors[name] = _("名称里不能有控制字符")
    elif len(value) > NAME_MAX:
        errors[name] = _("最多%(n)d个字", n=NAME_MAX)
    return value


@cache
def _zones() -> dict[str, str]:
    """Known zone names by their lower-case spelling, to suggest the right one."""
    return {z.lower(): z for z in available_timezones() if z not in _NOT_ZONES}


def timezone_error(name: str) -> str | None:
    """Why ``name`` is not an IANA timezone this server knows; None when it is one."""
    if not name:
        return _("请填写时区，例如 Asia/Shanghai")
    known = _zones().get(name.lower())
    if known is not None and known != name:
        return _("时区名称区分大小写，应为 %(zone)s", zone=known)
    try:
        valid = known is not None and ZoneInfo(name) is not None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        valid = False
    return None if valid else _("“%(zone)s”不是有效的时区名称，例如 Asia/Shanghai", zone=name)


def read_profile(form: Form) -> tuple[dict[str, Any], Errors]:
    errors: Errors = {}
    values: dict[str, Any] = {
        "name_zh": _name(form, "name_zh", errors, required=True),
        "name_en": _name(form, "name_en", errors, required=False),
    }
    languages = [code.strip() for code in form.getlist("languages") if code.strip()]
    if not languages:
        errors["languages"] = _("请至少选择一种语言")
    elif any(code not in LANGUAGES for code in languages):
        errors["languages"] = _("只能选择普通话、粤语或英语")
    elif len(set(languages)) != len(languages):
        errors["languages"] = _("同一种语言只能选一次")
    values["languages"] = languages
    values["timezone"] = _text(form, "timezone")
    problem = timezone_error(values["timezone"])
    if problem:
        errors["timezone"] = problem
    values["ticket_on_abandon"] = form.get("ticket_on_abandon") == "1"
    if "alert_escalation_minutes" in form:  # the page's fieldset; older forms leave them be
        values["alerts_enabled"] = form.get("alerts_enabled") == "1"
        values["alert_escalation_minutes"] = _minutes(
            form, "alert_escalation_minutes", ALERT_ESCALATION, errors
        )
    return values, errors


def _clock(text: str, closing: bool) -> str | None:
    """``9:05`` → ``09:05``; ``24:00`` only as a closing time; None if not a time."""
    match = _CLOCK.fullmatch(text)
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if (hours, minutes) == (24, 0) and closing:
        return "24:00"
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


def read_day(text: str) -> tuple[list[list[str]], str | None]:
    """One weekday's ranges, e.g. ``09:00-12:00, 14:00-18:00``, sorted; or the problem."""
    text = _DASH.sub("-", unicodedata.normalize("NFKC", text).strip())
    ranges: list[list[str]] = []
    for token in re.split(r"[\s,;、]+", text):
        if not token:
            continue
        match = _RANGE.fullmatch(token)
        opens = _clock(match.group(1), closing=False) if match else None
        closes = _clock(match.group(2), closing=True) if match else None
        if opens is None or closes is None:
            return [], _("“%(text)s”不是 HH:MM-HH:MM 格式的时段", text=token)
        if closes <= opens:
            return [], _(
                "“%(text)s”结束时间不晚于开始时间；跨午夜的时段请分成两天填写，"
                "如 22:00-24:00 和次日 00:00-06:00",
                text=token,
            )
        ranges.append([opens, closes])
    ranges.sort()
    for before, after in zip(ranges, ranges[1:], strict=False):
        if after[0] < before[1]:
            return [], _("时段 %(a)s 和 %(b)s 重叠", a="-".join(before), b="-".join(after))
    return ranges, None


def read_holidays(text: str) -> tuple[list[str], str | None]:
    """One ``YYYY-MM-DD`` a line (blank lines ignored), sorted without repeats."""
    days: set[str] = set()
    bad: list[str] = []
    for number, line in enumerate(unicodedata.normalize("NFKC", text).splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            if not _DATE.fullmatch(line):
                raise ValueError(line)
            days.add(date.fromisoformat(line).isoformat())
        except ValueError:
            bad.append(_("第%(n)d行“%(text)s”", n=number, text=line[:20]))
    if bad:
        shown = _("、").join(bad[:3]) + ("…" if len(bad) > 3 else "")
        return [], _("%(lines)s 不是 YYYY-MM-DD 格式的日期", lines=shown)
    if len(days) > HOLIDAYS_MAX:
        return [], _("最多%(n)d个节假日", n=HOLIDAYS_MAX)
    return sorted(days), None


def read_hours(form: Form, timezone: str) -> tuple[dict[str, Any], Errors]:
    """24-hour mode, weekly ranges and holidays, in the shape ``OpeningHours`` reads."""
    errors: Errors = {}
    weekly: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        ranges, problem = read_day(form.get(f"hours_{day}", ""))
        if problem:
            errors[f"hours_{day}"] = problem
        elif ranges:
            weekly[day] = ranges
    holidays, problem = read_holidays(form.get("holidays", ""))
    if problem:
        errors["holidays"] = problem
    always_open = form.get("twenty_four_hours") == "1"
    if not errors and not always_open and not weekly:
        errors["hours"] = _("关闭24小时模式时，请至少填写一个开放时段")
    if not errors:
        try:  # the engine's own reader: what is stored here is what calls will obey
            OpeningHours.from_settings(timezone, always_open, weekly, holidays)
        except HoursInvalid as exc:
            errors["hours"] = str(exc)
    values = {"twenty_four_hours": always_open, "opening_hours": weekly, "holidays": holidays}
    return values, errors


# How long an urgent ticket may go unopened before the next person is rung (ivr.alerts).
ALERT_ESCALATION = (1, 240)


def _minutes(form: Form, name: str, bounds: tuple[int, int], errors: Errors) -> int:
    text = unicodedata.normalize("NFKC", _text(form, name))
    low, high = bounds
    if text.isascii() and text.isdigit() and len(text) < 7 and low <= int(text) <= high:
        return int(text)
    errors[name] = _("请填写%(low)d到%(high)d之间的整数（分钟）", low=low, high=high)
    return 0


def read_sla(form: Form) -> tuple[dict[str, Any], Errors]:
    errors: Errors = {}
    urgent = _minutes(form, "sla_urgent_minutes", SLA_URGENT, errors)
    normal = _minutes(form, "sla_normal_minutes", SLA_NORMAL, errors)
    if not errors and urgent > normal:
        errors["sla_urgent_minutes"] = _("紧急工单的回电时限不能长于一般工单")
    return {"sla_urgent_minutes": urgent, "sla_normal_minutes": normal}, errors


def read_phone(
    form: Form, on_roster: set[str], is_hotline: Callable[[str], bool], count: int
) -> tuple[dict[str, Any], Errors]:
    """A phone to add to the roster, which holds ``on_roster`` (``count`` phones).

    Typed as people write it (``13812345678``, ``020-12345678``, ``+86 138 …``), stored
    in E.164 (:func:`ivr.phone.normalise`). ``is_hotline`` tells a hotline number.
    """
    errors: Errors = {}
    try:
        number = normalise(_text(form, "number"))
    except PhoneInvalid as exc:
        number, errors["number"] = "", str(exc)
    if not number:
        pass
    elif number in on_roster:
        errors["number"] = _("%(number)s 已在值班名单上", number=number)
    elif is_hotline(number):
        errors["number"] = _("%(number)s 是热线号码，转接到它会再进入语音菜单", number=number)
    elif count >= ROSTER_MAX:
        errors["number"] = _("值班名单最多%(n)d个号码", n=ROSTER_MAX)
    name = _name(form, "name", errors, required=False)
    return {"number": number, "name": name}, errors


def _rule_tag(form: Form, errors: Errors) -> str:
    choice, custom = _text(form, "tag"), _text(form, "custom_tag")
    if choice != "custom":
        if custom:
            errors["custom_tag"] = _("选择了目录中的标签时，请清空自定义标签")
        elif choice not in RULE_TAGS:
            errors["tag"] = _("请选择标签")
        return choice
    try:
        custom = normalise_tag(custom)
    except TagInvalid as exc:
        errors["custom_tag"] = str(exc)
        return custom
    if not custom:
        errors["custom_tag"] = _("请填写自定义标签")
    elif custom in RESERVED_TAGS:
        errors["custom_tag"] = _("“%(tag)s”由系统使用，不能用于关键词规则", tag=custom)
    return custom


def read_rule(
    form: Form, existing: set[tuple[str, str, str]], count: int
) -> tuple[dict[str, Any], Errors]:
    """A keyword rule to add; ``existing`` holds the station's (tag, language, keyword)."""
    errors: Errors = {}
    tag = _rule_tag(form, errors)
    language = _text(form, "language")
    if language not in LANGUAGES:
        errors["language"] = _("请选择语言")
    keyword = " ".join(unicodedata.normalize("NFKC", form.get("keyword", "")).split())
    if not keyword:
        errors["keyword"] = _("请填写关键词")
    elif len(keyword) > NAME_MAX:
        errors["keyword"] = _("最多%(n)d个字", n=NAME_MAX)
    elif (tag, language, keyword.lower()) in existing:
        errors["keyword"] = _("本站已有这条规则")
    elif count >= RULES_MAX:
        errors["keyword"] = _("每个站最多%(n)d条规则", n=RULES_MAX)
    return {"tag": tag, "language": language, "keyword": keyword}, errors
