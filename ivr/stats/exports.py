"""A report as tables (CSV, XLSX) and as JSON: the same figures the dashboard shows.

``figures_table`` is the one canonical shape (section, figure, value) every format is
built from; ``breakdown_table`` and ``by_hour_table`` add the stations or districts and
the weekday × hour grid. Labels and sheet names are in the requested language (``zh`` or
``en``); values stay numbers, so spreadsheets can sum them. Dates are dates and times are
local times in the report's timezone (named in their label), so a spreadsheet can sort and
filter them: XLSX cells of date type, CSV text a spreadsheet reads as a date. JSON (the
API's form) keeps times in UTC.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from ivr.formula_guard import guard
from ivr.stations.name_order import by_pinyin
from ivr.stats.report import CATEGORIES, VULNERABILITIES, Durations, Figures, Report, Row

# A datetime in a table is aware and already in the zone its label names.
Cell = str | int | float | date | datetime | None
Table = list[list[Cell]]

DATE_FORMAT = "yyyy-mm-dd"  # how XLSX shows a date cell, and a date-time cell:
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
CSV_DATETIME = "%Y-%m-%d %H:%M"  # what Excel and LibreOffice read back as a date and time
SHEET_NAME_MAX = 31  # Excel's limit, and the characters it refuses in a sheet name
SHEET_NAME_REFUSED = re.compile(r"[\[\]:*?/\\]")

CATEGORY_LABELS = {
    "food": _l("食物和日用品"),
    "medicine": _l("药品"),
    "medical": _l("就医"),
    "emotional": _l("情绪支持"),
    "policy": _l("防疫政策"),
    "other": _l("其他"),
}
VULNERABILITY_LABELS = {
    "dibao": _l("低保"),
    "dishou": _l("低收"),
    "tekun": _l("特困"),
    "lone_elderly": _l("独居/孤寡/留守老人"),
    "child_in_difficulty": _l("困境儿童"),
    "severe_disability": _l("重度残疾"),
}
WEEKDAY_LABELS = (
    _l("周一"),
    _l("周二"),
    _l("周三"),
    _l("周四"),
    _l("周五"),
    _l("周六"),
    _l("周日"),
)
SCOPE_KINDS = {"station": _l("社工站"), "district": _l("区"), "city": _l("全市")}

# (key, label, how to read it from Figures): the headline counts, in reading order.
COUNTS: tuple[tuple[str, Any, str], ...] = (
    ("calls", _l("来电总数"), "calls_received"),
    ("calls", _l("社工接听"), "calls_answered"),
    ("calls", _l("转入留言"), "calls_to_voicemail"),
    ("calls", _l("未留言挂断"), "calls_abandoned"),
    ("calls", _l("服务人次"), "person_times"),
    ("voicemails", _l("留言数"), "voicemails"),
    ("voicemails", _l("待转写"), "transcription_backlog"),
    ("voicemails", _l("转写失败"), "transcription_failed"),
    ("tickets", _l("新开工单"), "tickets_opened"),
    ("tickets", _l("已结案"), "tickets_resolved"),
    ("tickets", _l("超时工单"), "tickets_overdue"),
    ("referrals", _l("转介出去"), "referrals_sent"),
    ("referrals", _l("转介进来"), "referrals_received"),
)
SECTIONS = {
    "report": _l("报告"),
    "calls": _l("来电"),
    "voicemails": _l("留言与转写"),
    "tickets": _l("回电工单"),
    "first_callback": _l("留言到首次回电"),
    "resolution": _l("留言到结案"),
    "problems": _l("按类别解决的问题"),
    "referrals": _l("转介情况"),
    "vulnerable": _l("服务的困难群体（人次）"),
    "by_hour": _l("按小时来电"),
    "by_weekday": _l("按星期来电"),
}


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, as the API writes times."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def zone_words(zone: str, on: date) -> str:
    """``Asia/Shanghai UTC+08:00``: the zone, and its offset when it keeps one all year
    round (a zone with summer time is named alone: its offset changes)."""
    info = ZoneInfo(zone)
    offsets = {datetime(on.year, month, 1, tzinfo=info).utcoffset() for month in (1, 7)}
    offset = offsets.pop() if len(offsets) == 1 else None
    if offset is None:
        return zone
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{zone} UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def in_zone(label: Any, zone: str, on: date) -> str:
    """A time column's label with the zone its times are in: ``开单时间（Asia/Shanghai
    UTC+08:00）``."""
    return str(_l("%(label)s（%(zone)s）", label=str(label), zone=zone_words(zone, on)))


def local_time(moment: datetime | None, zone: str) -> datetime | None:
    """``moment`` on the clock of ``zone``, to the second (what a spreadsheet cell holds)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone)).replace(microsecond=0)


def sla_share(durations: Durations) -> float | None:
    """Percent of ``count`` reached within the SLA, one decimal; None when nothing counted."""
    if not durations.count:
        return None
    return round(100 * durations.within_sla / durations.count, 1)


def problems_total(figures: Figures) -> int:
    return sum(figures.problems_solved.values())


def name_in(locale: str, name_zh: str, name_en: str) -> str:
    return name_en if locale == "en" and name_en else name_zh


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00–{hour:02d}:59"


def _durations_rows(section: str, durations: Durations) -> Table:
    label = str(SECTIONS[section])
    return [
        [label, str(_l("工单数")), durations.count],
        [label, str(_l("中位数（分钟）")), durations.median_minutes],
        [label, str(_l("P90（分钟）")), durations.p90_minutes],
        [label, str(_l("时限内")), durations.within_sla],
        [label, str(_l("时限内比例（%）")), sla_share(durations)],
    ]


def _report_rows(report: Report, locale: str) -> Table:
    scope, label = report.scope, str(SECTIONS["report"])
    zone, on = scope.timezone, report.period.end
    return [
        [label, str(_l("范围")), name_in(locale, scope.name_zh, scope.name_en)],
        [label, str(_l("范围类型")), str(SCOPE_KINDS[scope.kind])],
        [label, str(_l("范围代码")), scope.spec],
        [label, str(_l("开始日期")), report.period.start],
        [label, str(_l("结束日期")), report.period.end],
        [label, str(_l("天数")), report.period.days],
        [label, in_zone(_l("生成时间"), zone, on), local_time(report.generated_at, zone)],
        [label, in_zone(_l("数据截至"), zone, on), local_time(report.as_of, zone)],
    ]


def figures_table(report: Report, locale: str = "zh") -> Table:
    """Every figure of the report's totals as [section, figure, value], with a header row."""
    with force_locale(locale):
        totals = report.totals
        rows: Table = [[str(_l("部分")), str(_l("指标")), str(_l("数值"))]]
        rows += _report_rows(report, locale)
        for section, label, attribute in COUNTS:
            rows.append([str(SECTIONS[section]), str(label), getattr(totals, attribute)])
        rows += _durations_rows("first_callback", totals.first_callback)
        rows += _durations_rows("resolution", totals.resolution)
        problems = str(SECTIONS["problems"])
        rows += [[problems, str(CATEGORY_LABELS[c]), totals.problems_solved[c]] for c in CATEGORIES]
        rows.append([problems, str(_l("合计")), problems_total(totals)])
        vulnerable = str(SECTIONS["vulnerable"])
        rows += [
            [vulnerable, str(VULNERABILITY_LABELS[v]), totals.vulnerable_served[v]]
            for v in VULNERABILITIES
        ]
        by_hour = str(SECTIONS["by_hour"])
        rows += [[by_hour, hour_label(h), n] for h, n in enumerate(totals.calls_by_hour)]
        by_day = str(SECTIONS["by_weekday"])
        rows += [[by_day, str(WEEKDAY_LABELS[d]), n] for d, n in enumerate(totals.calls_by_weekday)]
        return rows


# The breakdown table's columns: (key for ?sort=, label, value of a row's Figures).
BREAKDOWN_COLUMNS: tuple[tuple[str, Any, Callable[[Figures], Cell]], ...] = (
    ("calls_received", _l("来电总数"), lambda f: f.calls_received),
    ("calls_answered", _l("社工接听"), lambda f: f.calls_answered),
    ("calls_to_voicemail", _l("转入留言"), lambda f: f.calls_to_voicemail),
    ("calls_abandoned", _l("未留言挂断"), lambda f: f.calls_abandoned),
    ("person_times", _l("服务人次"), lambda f: f.person_times),
    ("voicemails", _l("留言数"), lambda f: f.voicemails),
    ("transcription_backlog", _l("待转写"), lambda f: f.transcription_backlog),
    ("tickets_opened", _l("新开工单"), lambda f: f.tickets_opened),
    ("tickets_resolved", _l("已结案"), lambda f: f.tickets_resolved),
    ("tickets_overdue", _l("超时工单"), lambda f: f.tickets_overdue),
    ("callback_median", _l("首次回电中位数（分钟）"), lambda f: f.first_callback.median_minutes),
    ("callback_sla", _l("首次回电时限内（%）"), lambda f: sla_share(f.first_callback)),
    ("resolution_median", _l("结案中位数（分钟）"), lambda f: f.resolution.median_minutes),
    ("problems_solved", _l("解决问题"), problems_total),
    ("referrals_sent", _l("转介出去"), lambda f: f.referrals_sent),
    ("referrals_received", _l("转介进来"), lambda f: f.referrals_received),
)


def row_name(row: Row, locale: str) -> str:
    return name_in(locale, row.name_zh, row.name_en)


def breakdown_table(report: Report, locale: str = "zh") -> Table:
    """A district's stations or the city's districts: a header, then one row each, by name
    in pinyin order (as the dashboard lists them)."""
    with force_locale(locale):
        header: list[Cell] = [str(_l("代码")), str(_l("名称"))]
        header += [str(label) for _, label, _ in BREAKDOWN_COLUMNS]
        rows: Table = [header]
        for row in by_pinyin(report.rows, lambda r: row_name(r, locale)):
            cells: list[Cell] = [row.code, row_name(row, locale)]
            cells += [value(row.figures) for _, _, value in BREAKDOWN_COLUMNS]
            rows.append(cells)
        return rows


def by_hour_table(report: Report, locale: str = "zh") -> Table:
    """Calls by weekday (rows) and local hour (columns), with each day's and hour's total."""
    totals = report.totals
    with force_locale(locale):
        header: list[Cell] = [str(_l("星期"))]
        header += [f"{h:02d}" for h in range(24)] + [str(_l("合计"))]
        rows: Table = [header]
        for day, hours in enumerate(totals.calls_by_weekday_hour):
            rows.append([str(WEEKDAY_LABELS[day]), *hours, totals.calls_by_weekday[day]])
        rows.append([str(_l("合计")), *totals.calls_by_hour, None])
        return rows


def _csv_cell(cell: Cell) -> object:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.strftime(CSV_DATETIME)
    if isinstance(cell, date):
        return cell.isoformat()
    return guard(cell)


def write_csv(tables: Sequence[Table]) -> bytes:
    """Tables one after another, a blank line between; UTF-8 with a BOM for Excel.
    Text that a spreadsheet would run as a formula is written guarded (ivr.formula_guard);
    dates as YYYY-MM-DD and times as YYYY-MM-DD HH:MM on the clock their label names."""
    out = io.StringIO()
    writer = csv.writer(out)
    for i, table in enumerate(tables):
        if i:
            writer.writerow([])
        writer.writerows([_csv_cell(cell) for cell in row] for row in table)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def sheet_name(name: str) -> str:
    """``name`` as Excel accepts a sheet name: none of []:*?/\\, no quote at either end,
    at most 31 characters."""
    cleaned = SHEET_NAME_REFUSED.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", name)).strip(" '")
    return cleaned[:SHEET_NAME_MAX].strip(" '") or "Sheet"


def _xlsx_cell(value: object) -> object:
    if isinstance(value, str):
        return guard(ILLEGAL_CHARACTERS_RE.sub("", value))
    if isinstance(value, datetime):  # Excel has no timezones: the label names the clock
        return value.replace(tzinfo=None)
    return value


def _width(value: object) -> int:
    """Columns wide enough for their text: a CJK character takes two places."""
    if isinstance(value, datetime):
        return len(DATETIME_FORMAT)
    if isinstance(value, date):
        return len(DATE_FORMAT)
    text = str(value)
    return len(text) + sum(unicodedata.east_asian_width(c) in "WF" for c in text)


def write_xlsx(sheets: Sequence[tuple[str, Table]], created: datetime | None = None) -> bytes:
    """One worksheet per (name, table): the header row bold and frozen, numbers as numbers,
    text always as text (guarded, and typed as a string: never a formula)."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    for name, table in sheets:
        sheet = book.create_sheet(sheet_name(name))
        for row in table:
            # Excel cannot hold control characters; a name that carries one loses them here.
            sheet.append([_xlsx_cell(cell) for cell in row])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                elif isinstance(cell.value, datetime):
                    cell.number_format = DATETIME_FORMAT
                elif isinstance(cell.value, date):
                    cell.number_format = DATE_FORMAT
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            longest = max((_width(c.value) for c in column if c.value is not None), default=4)
            sheet.column_dimensions[column[0].column_letter].width = min(max(longest + 2, 8), 40)
    if created is None:
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    # The same report gives the same file: the document's times, and the zip entries'
    # (which the zip writer would stamp with the second it wrote them).
    book.properties.created = book.properties.modified = created.replace(tzinfo=None)
    out = io.BytesIO()
    # ExcelWriter rather than book.save(), which stamps "modified" with the clock.
    ExcelWriter(book, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)).save()
    return _stamp_zip_entries(out.getvalue(), created)


def _stamp_zip_entries(data: bytes, when: datetime) -> bytes:
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            copy = zipfile.ZipInfo(entry.filename, date_time=stamp)
            copy.compress_type = entry.compress_type
            copy.external_attr = entry.external_attr
            target.writestr(copy, source.read(entry))
    return out.getvalue()


def to_csv(report: Report, locale: str = "zh", extra: Sequence[tuple[str, Table]] = ()) -> bytes:
    """``extra``: more named tables to add (e.g. ``stats.referral_pairs``)."""
    tables = [figures_table(report, locale)]
    if report.rows:
        tables.append(breakdown_table(report, locale))
    return write_csv([*tables, *(table for _name, table in extra)])


def sheet_names(report: Report, locale: str = "zh") -> list[str]:
    """The sheets of ``to_xlsx``, named in ``locale``: the figures, the stations or districts
    (not for one station, which has none), calls by weekday and hour."""
    with force_locale(locale):
        names = [str(_l("统计数字"))]
        if report.scope.kind != "station":
            names.append(str(_l("各区") if report.scope.kind == "city" else _l("各社工站")))
        names.append(str(SECTIONS["by_hour"]))
        return [sheet_name(name) for name in names]


def to_xlsx(report: Report, locale: str = "zh", extra: Sequence[tuple[str, Table]] = ()) -> bytes:
    """``extra``: more (sheet name, table) pairs, after the report's own sheets."""
    tables = [figures_table(report, locale)]
    if report.scope.kind != "station":
        tables.append(breakdown_table(report, locale))
    tables.append(by_hour_table(report, locale))
    sheets = list(zip(sheet_names(report, locale), tables, strict=True))
    return write_xlsx([*sheets, *extra], created=report.generated_at)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data, field for field; dates ISO, times ISO in UTC."""
    data = _plain(report)
    data["scope"]["spec"] = report.scope.spec
    data["period"]["days"] = report.period.days
    return data
