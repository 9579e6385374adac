"""Statistics pages: a dashboard per scope, and its figures and tickets as files.

``/stats/`` shows the signed-in user's own scope (their station, district or the city)
or a narrower one they choose (``?scope=station:x|district:y|city``); a scope outside
theirs answers 404. The period is a preset or a custom range of local days. Every
figure comes from ``ivr.stats.figures``; this module only chooses, renders and exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.console.common import audit, me, scope
from ivr.db import get_session
from ivr.stations.name_order import by_pinyin
from ivr.stats import bp, charts, exports
from ivr.stats.details import may_export_personal, sheet_title, ticket_table
from ivr.stats.figures import (
    PeriodInvalid,
    ScopeNotAllowed,
    ScopeNotFound,
    build_report,
    default_scope,
    parse_period,
    resolve_scope,
)
from ivr.stats.referral_pairs import COLUMNS as PAIR_COLUMNS
from ivr.stats.referral_pairs import pairs_sheet, referral_pairs
from ivr.stats.report import CATEGORIES, VULNERABILITIES, Period, Report, ReportScope, Row
from ivr.stats.transcript_quality import quality_table, transcript_quality
from models import District, Role, Station, utcnow

DEFAULT_PRESET = "month"  # what parse_period, the API and ``ivr report`` default to
CUSTOM = "custom"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class PeriodChoice:
    """What the period form says: a preset, or "custom" with ``start``..``end`` as typed."""

    preset: str
    start: str = ""
    end: str = ""

    @classmethod
    def from_args(cls) -> PeriodChoice:
        start = request.args.get("from", "").strip()[:20]
        end = request.args.get("to", "").strip()[:20]
        preset = request.args.get("preset", "").strip()[:20]
        if not preset:
            preset = CUSTOM if start or end else DEFAULT_PRESET
        if preset != CUSTOM:
            start = end = ""  # a preset names the whole period
        return cls(preset, start, end)

    def args(self) -> dict[str, str]:
        """Query arguments that choose this period again (for links)."""
        if self.preset == CUSTOM:
            return {"preset": CUSTOM, "from": self.start, "to": self.end}
        return {"preset": self.preset}


def locale() -> str:
    return "en" if str(get_locale()) == "en" else "zh"


def chosen_scope(session: Session) -> ReportScope:
    """``?scope=`` resolved within the user's own scope, or their default; else 404."""
    spec = request.args.get("scope", "").strip()
    try:
        if not spec:
            return default_scope(session, scope())
        return resolve_scope(session, spec[:200], scope())
    except (ScopeNotFound, ScopeNotAllowed):
        abort(404)


def chosen_period(choice: PeriodChoice, today: date) -> Period:
    """The period asked for; PeriodInvalid when the preset or dates do not make one."""
    if choice.preset == CUSTOM:
        return parse_period(CUSTOM, choice.start, choice.end, today)
    return parse_period(choice.preset, None, None, today)


def whole_minutes(minutes: float | None) -> str:
    """95.4 → "95", 1501 → "1,501" (the columns say 分钟 / minutes); no value → "—"."""
    if minutes is None:
        return "—"
    return f"{round(minutes):,}"


def period_words(period: Period, preset: str) -> str:
    names = {
        "today": _("今天"),
        "7d": _("最近 7 天"),
        "month": _("本月"),
        "last_month": _("上月"),
    }
    if period.start == period.end:
        span = _("%(date)s，1 天", date=period.start.isoformat())
    else:
        span = _(
            "%(start)s 至 %(end)s，共 %(days)d 天",
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            days=period.days,
        )
    if preset not in names:
        return span
    return _("%(preset)s（%(span)s）", preset=names[preset], span=span)


def freshness(report: Report, zone: str) -> str:
    def local(moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")

    if report.as_of is not None:
        return _("汇总数据截至 %(time)s，之后的为实时数据", time=local(report.as_of))
    return _("实时数据，生成于 %(time)s", time=local(report.generated_at or utcnow()))


def display_name(named: ReportScope | Row | District | Station) -> str:
    """English when the interface is English and there is an English name; else Chinese."""
    return exports.name_in(locale(), named.name_zh, named.name_en)


def scope_options(session: Session, current: ReportScope) -> list[tuple[str, str]]:
    """(spec, name) of the scopes the user may pick: their own and the level below it,
    each level by name in pinyin order."""
    viewer, options = scope(), []
    if viewer.is_city:
        options.append(("city", _("全市")))
        districts = session.scalars(select(District))
        options += by_pinyin(
            [(f"district:{d.code}", display_name(d)) for d in districts], lambda o: o[1]
        )
    else:
        if viewer.role is Role.DISTRICT_ADMIN:
            district = session.get(District, viewer.district_id)
            if district is not None:
                options.append((f"district:{district.code}", display_name(district)))
        stations = session.scalars(select(Station).where(viewer.stations_clause(Station.id)))
        options += by_pinyin(
            [(f"station:{s.code}", display_name(s)) for s in stations], lambda o: o[1]
        )
    if current.spec not in {spec for spec, _name in options}:
        options.append((current.spec, display_name(current)))
    return options


def charts_for(report: Report) -> dict[str, str]:
    totals = report.totals
    days = [str(label) for label in exports.WEEKDAY_LABELS]
    return {
        "outcomes": charts.segmented_bar(
            [
                (_("社工接听"), totals.calls_answered),
                (_("转入留言"), totals.calls_to_voicemail),
                (_("未留言挂断"), totals.calls_abandoned),
            ],
            _("来电结果"),
            total=totals.calls_received,
            rest_label=_("其他结果"),
        ),
        "problems": charts.bar_chart(
            [(str(exports.CATEGORY_LABELS[c]), totals.problems_solved[c]) for c in CATEGORIES],
            _("按类别解决的问题"),
            color=charts.GREEN,
        ),
        "vulnerable": charts.bar_chart(
            [
                (str(exports.VULNERABILITY_LABELS[v]), totals.vulnerable_served[v])
                for v in VULNERABILITIES
            ],
            _("服务的困难群体（人次）"),
            color=charts.ORANGE,
        ),
        "hours": charts.hour_chart(list(totals.calls_by_hour), _("按小时来电")),
        "weekdays": charts.weekday_chart(list(totals.calls_by_weekday), days, _("按星期来电")),
        "heatmap": charts.heatmap(
            [list(row) for row in totals.calls_by_weekday_hour],
            days,
            _("来电时间分布（星期 × 小时）"),
            legend_title=_("来电"),
        ),
    }


def _markup(svgs: dict[str, str]) -> dict[str, Markup]:
    return {name: Markup(svg) for name, svg in svgs.items()}  # noqa: S704 - escaped in charts


SORT_KEYS = {key: value for key, _label, value in exports.BREAKDOWN_COLUMNS}


def sorted_rows(
    rows: tuple[Row, ...], key: str, descending: bool, language: str = "zh"
) -> list[Row]:
    """Rows by a column, names (in ``language``) in pinyin order, which also orders equal
    values; rows without a value (no tickets to time) always come last."""
    by_name = by_pinyin(
        rows, lambda r: exports.row_name(r, language), reverse=descending and key == "name"
    )
    if key == "name":
        return by_name
    read = SORT_KEYS[key]
    known = [r for r in by_name if read(r.figures) is not None]
    unknown = [r for r in by_name if read(r.figures) is None]
    return sorted(known, key=lambda r: read(r.figures), reverse=descending) + unknown


@dataclass(frozen=True)
class Sorting:
    key: str
    descending: bool
    problem: str = ""

    @classmethod
    def from_args(cls) -> Sorting:
        key = request.args.get("sort", "name")
        descending = request.args.get("dir", "asc") == "desc"
        if key != "name" and key not in SORT_KEYS:
            return cls("name", False, _("未知的排序列，已按名称排序"))
        return cls(key, descending)

    def next_dir(self, key: str) -> str:
        """Clicking the sorted column flips it; another column starts largest first."""
        if key == self.key:
            return "asc" if self.descending else "desc"
        return "asc" if key == "name" else "desc"


def breakdown_link(row: Row, choice: PeriodChoice) -> str:
    spec = f"{row.level}:{row.code}"
    return url_for("stats.dashboard", scope=spec, **choice.args())


@bp.get("/")
@login_required
def dashboard() -> str:
    session = get_session()
    report_scope = chosen_scope(session)
    now = utcnow()
    today = report_scope.today(now)
    choice, period_problem = PeriodChoice.from_args(), ""
    try:
        period = chosen_period(choice, today)
    except PeriodInvalid as exc:
        period_problem = _("日期范围无效：%(reason)s。下面显示的是默认时段。", reason=str(exc))
        period = parse_period(DEFAULT_PRESET, None, None, today)
    report = build_report(session, report_scope, period, now=now)
    pairs = referral_pairs(session, report_scope, period, now)
    sorting = Sorting.from_args()
    shown_choice = choice if not period_problem else PeriodChoice(DEFAULT_PRESET)
    return render_template(
        "stats/dashboard.html",
        report=report,
        totals=report.totals,
        scope_name=display_name(report.scope),
        scope_options=scope_options(session, report.scope),
        choice=choice,
        period_problem=period_problem,
        period_words=period_words(period, shown_choice.preset),
        freshness=freshness(report, report_scope.timezone),
        charts=_markup(charts_for(report)),
        problems_total=exports.problems_total(report.totals),
        sla_share=exports.sla_share,
        whole_minutes=whole_minutes,
        by_hour_sheet=exports.SECTIONS["by_hour"],
        columns=exports.BREAKDOWN_COLUMNS,
        rows=sorted_rows(report.rows, sorting.key, sorting.descending, locale()),
        sorting=sorting,
        row_name=display_name,
        row_link=lambda row: breakdown_link(row, shown_choice),
        sort_link=lambda key: url_for(
            "stats.dashboard",
            scope=report.scope.spec,
            sort=key,
            dir=sorting.next_dir(key),
            **shown_choice.args(),
        ),
        export_link=lambda endpoint, **kw: url_for(
            endpoint, scope=report.scope.spec, **shown_choice.args(), **kw
        ),
        personal=may_export_personal(me()),
        transcripts=transcript_quality(session, report_scope, period),
        referral_pairs=pairs,
        pair_columns=PAIR_COLUMNS,
    )


def _export_request() -> tuple[ReportScope, Period]:
    """The scope and period an export link names; 404 outside scope, 400 for a bad period."""
    session = get_session()
    report_scope = chosen_scope(session)
    try:
        return report_scope, chosen_period(PeriodChoice.from_args(), report_scope.today())
    except PeriodInvalid as exc:
        abort(400, description=_("日期范围无效：%(reason)s", reason=str(exc)))


def _audit_export(
    action: str, report_scope: ReportScope, period: Period, fmt: str, personal: bool
) -> None:
    station_id = report_scope.station_ids[0] if report_scope.kind == "station" else None
    audit(
        action,
        "report",
        report_scope.spec,
        station_id,
        request.remote_addr,
        scope=report_scope.spec,
        period={"start": period.start.isoformat(), "end": period.end.isoformat()},
        format=fmt,
        personal=personal,
    )
    get_session().commit()


def _file(data: bytes, fmt: str, stem: str, period: Period) -> Response:
    name = f"{stem}-{period.start.isoformat()}-{period.end.isoformat()}.{fmt}"
    response = Response(data, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _stem(kind: str, report_scope: ReportScope) -> str:
    return f"{kind}-{report_scope.spec.replace(':', '-')}"


@bp.get("/export")
@login_required
def export() -> Response:
    """The report's figures (and breakdown) as CSV or XLSX; no personal data."""
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        abort(400, description=_("格式应为 csv 或 xlsx"))
    report_scope, period = _export_request()
    now = utcnow()
    report = build_report(get_session(), report_scope, period, now=now)
    pairs = referral_pairs(get_session(), report_scope, period, now)
    extra = [pairs_sheet(pairs, locale())] if pairs else []
    if fmt == "csv":
        data = exports.to_csv(report, locale(), extra)
    else:
        data = exports.to_xlsx(report, locale(), extra)
    _audit_export("stats.export", report_scope, period, fmt, personal=False)
    return _file(data, fmt, _stem("stats", report_scope), period)


@bp.get("/tickets.<any(csv, xlsx):fmt>")
@login_required
def tickets_export(fmt: str) -> Response:
    """Every ticket opened in the period at the scope's stations; numbers and names by role."""
    report_scope, period = _export_request()
    personal = may_export_personal(me())
    table = ticket_table(get_session(), report_scope, period, personal, locale())
    if fmt == "csv":
        data = exports.write_csv([table])
    else:
        data = exports.write_xlsx([(sheet_title(locale()), table)])
    _audit_export("tickets.export", report_scope, period, fmt, personal)
    return _file(data, fmt, _stem("tickets", report_scope), period)


@bp.get("/transcripts.<any(csv, xlsx):fmt>")
@login_required
def transcripts_export(fmt: str) -> Response:
    """Transcript quality (share corrected, the machine's error rate) per language and
    station, as CSV or XLSX; no personal data."""
    report_scope, period = _export_request()
    table = quality_table(transcript_quality(get_session(), report_scope, period), locale())
    if fmt == "csv":
        data = exports.write_csv([table])
    else:
        data = exports.write_xlsx([(_("转写质量"), table)])
    _audit_export("transcripts.export", report_scope, period, fmt, personal=False)
    return _file(data, fmt, _stem("transcripts", report_scope), period)
