"""Outreach campaigns on the statistics pages and in their exports.

For the report's scope: every campaign with residents at its stations, how far it has got
(reached / attempted / total, overall and by vulnerability flag, counting only those
stations' residents), and for the period, campaign calls made and person-times reached —
a resident reached counts once per station and local day, as a caller does in the
hotline's own person-times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, Response
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.campaigns.coverage import CampaignCoverage, coverage_by_campaign
from ivr.stats import bp
from ivr.stats.report import Period, Report, ReportScope
from models import Campaign, CampaignAttempt, CampaignEntry, CampaignOutcome

REACHED = (CampaignOutcome.REACHED, CampaignOutcome.NEEDS_HELP)


@dataclass
class CampaignFigures:
    campaigns: list[tuple[Campaign, CampaignCoverage]]
    calls_made: int
    person_times_reached: int


def _bounds(period: Period, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(period.start, time(0), tz)
    return start, datetime.combine(period.end + timedelta(days=1), time(0), tz)


def campaign_figures(session: Session, scope: ReportScope, period: Period) -> CampaignFigures:
    in_scope = CampaignEntry.station_id.in_(scope.station_ids)
    coverage = coverage_by_campaign(session, in_scope)
    campaigns = list(
        session.scalars(
            select(Campaign).where(Campaign.id.in_(list(coverage))).order_by(Campaign.id.desc())
        )
    )
    start, end = _bounds(period, scope.timezone)
    tz = ZoneInfo(scope.timezone)
    made, reached = 0, set()
    for caller_id, station_id, at, outcome in session.execute(
        select(
            CampaignEntry.caller_id,
            CampaignEntry.station_id,
            CampaignAttempt.at,
            CampaignAttempt.outcome,
        )
        .join(CampaignEntry, CampaignEntry.id == CampaignAttempt.entry_id)
        .where(in_scope, CampaignAttempt.at >= start, CampaignAttempt.at < end)
        .where(CampaignAttempt.outcome.is_not(None))
    ):
        made += 1
        if outcome in REACHED:
            reached.add((caller_id, station_id, at.astimezone(tz).date()))
    return CampaignFigures([(c, coverage[c.id]) for c in campaigns], made, len(reached))


def campaign_table(figures: CampaignFigures, flag_name) -> list[list[object]]:  # type: ignore[no-untyped-def]
    """A row per campaign and per campaign and flag, for CSV and Excel."""
    table: list[list[object]] = [
        [
            _("电访"),
            _("类别"),
            _("已联系上（人次）"),
            _("已拨打"),
            _("共"),
            _("需要帮助"),
            _("多次无人接听"),
        ]
    ]
    for campaign, coverage in figures.campaigns:
        rows = [(_("全部"), coverage.overall)] + [
            (flag_name(code), c) for code, c in sorted(coverage.by_flag.items())
        ]
        for label, c in rows:
            table.append(
                [campaign.name, label, c.reached, c.attempted, c.total, c.needs_help, c.gave_up]
            )
    return table


def init_app(app: Flask) -> None:
    """Lets the dashboard's campaign partial ask for its figures."""

    def for_report(report: Report) -> CampaignFigures:
        from ivr.db import get_session

        return campaign_figures(get_session(), report.scope, report.period)

    from ivr.console.campaigns import flag_name

    app.jinja_env.globals["campaign_figures"] = for_report
    app.jinja_env.globals["flag_name"] = flag_name


@bp.get("/campaigns.<any(csv, xlsx):fmt>")
@login_required
def campaigns_export(fmt: str) -> Response:
    """Campaign coverage of the scope as CSV or Excel; no personal data; audit-logged."""
    from ivr.console.campaigns import flag_name
    from ivr.db import get_session
    from ivr.stats import dashboard, exports

    report_scope, period = dashboard._export_request()
    figures = campaign_figures(get_session(), report_scope, period)
    table = campaign_table(figures, flag_name)
    summary = [
        [_("电访通话"), _("已联系上（人次）")],
        [figures.calls_made, figures.person_times_reached],
    ]
    if fmt == "csv":
        data = exports.write_csv([summary, table])
    else:
        data = exports.write_xlsx([(_("电访时段"), summary), (_("电访覆盖"), table)])
    dashboard._audit_export("campaigns.export", report_scope, period, fmt, personal=False)
    return dashboard._file(data, fmt, dashboard._stem("campaigns", report_scope), period)
