"""Outreach campaigns in the console: build a call list, share it out, work through it.

Station and district admins build and assign lists over their own stations; a worker
sees only the entries assigned to them. Everything else answers 404.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from ivr.campaigns import CampaignInvalid, access, dialing, outcomes
from ivr.campaigns.assign import assign_round_robin, assignable_workers
from ivr.campaigns.build import Criteria, allowed_stations, from_registry
from ivr.campaigns.coverage import coverage_by_campaign
from ivr.campaigns.csv_list import CsvInvalid, from_csv
from ivr.console import bp
from ivr.console.common import me, scope
from ivr.console.tickets import own_phone_missing
from ivr.db import database, get_session
from ivr.phone import mask
from ivr.tickets.tags import split_tag_field
from models import (
    Call,
    Campaign,
    CampaignEntry,
    CampaignOutcome,
    EntryState,
    Role,
    Ticket,
    Vulnerability,
    utcnow,
)

ENTRY_STATES = {
    EntryState.PENDING: _l("待拨打"),
    EntryState.REACHED: _l("已联系上"),
    EntryState.NEEDS_HELP: _l("需要帮助"),
    EntryState.WRONG_NUMBER: _l("号码错误"),
    EntryState.GAVE_UP: _l("多次无人接听"),
}
CALL_RESULTS = {
    CampaignOutcome.REACHED: _l("已联系上"),
    CampaignOutcome.NO_ANSWER: _l("无人接听"),
    CampaignOutcome.WRONG_NUMBER: _l("号码错误"),
    CampaignOutcome.NEEDS_HELP: _l("需要帮助（开工单）"),
}
PAGE = 100


def _template_names() -> dict:
    return {
        "entry_state": lambda s: ENTRY_STATES.get(s, s),
        "call_result": lambda o: CALL_RESULTS.get(o, o),
        "flag_name": lambda code: flag_name(code),
    }


def flag_name(code: str) -> str:
    from ivr.console.labels import VULNERABILITIES

    try:
        return str(VULNERABILITIES[Vulnerability(code)])
    except ValueError:
        return code


@bp.get("/campaigns")
@login_required
def campaigns() -> str:
    session = get_session()
    if me().role is Role.WORKER:
        where = CampaignEntry.assignee_id == me().id
    else:
        where = access.entries_clause(me(), scope())
    coverage = coverage_by_campaign(session, where)
    rows = list(
        session.scalars(
            select(Campaign).where(Campaign.id.in_(list(coverage))).order_by(Campaign.id.desc())
        )
    )
    return render_template(
        "console/campaigns.html",
        campaigns=rows,
        coverage=coverage,
        may_build=access.may_build(me()),
        **_template_names(),
    )


@bp.route("/campaigns/new", methods=["GET", "POST"])
@login_required
def campaign_new() -> str | Response:
    if not access.may_build(me()):
        abort(404)
    session = get_session()
    stations = allowed_stations(session, me())
    workers = assignable_workers(session, me())
    problems: list[str] = []
    if request.method == "POST":
        try:
            built = _build(session)
            chosen = [int(w) for w in request.form.getlist("worker") if w.isdigit()]
            dealt = assign_round_robin(session, me(), built.campaign, chosen) if chosen else 0
            session.commit()
            flash(_("已建立电访名单：%(n)d 人，已分派 %(dealt)d 人", n=built.entries, dealt=dealt))
            return redirect(url_for("console.campaign", campaign_id=built.campaign.id))
        except CsvInvalid as exc:
            session.rollback()
            problems = exc.problems
        except CampaignInvalid as exc:
            session.rollback()
            problems = [str(exc)]
    return render_template(
        "console/campaign_new.html",
        stations=stations,
        workers=workers,
        flags=list(Vulnerability),
        problems=problems,
        form=request.form,
        **_template_names(),
    )


def _build(session):  # type: ignore[no-untyped-def]
    name = request.form.get("name", "")
    upload = request.files.get("csv")
    if upload is not None and upload.filename:
        return from_csv(session, me(), name, upload.read())
    days = request.form.get("days", "").strip()
    if days and not (days.isdigit() and 0 < int(days) <= 3650):
        raise CampaignInvalid(_l("“多少天没有联系”应为 1 到 3650 之间的整数"))
    criteria = Criteria(
        station_ids=tuple(int(s) for s in request.form.getlist("station") if s.isdigit()),
        flags=tuple(Vulnerability(f) for f in request.form.getlist("flag") if f in _FLAG_VALUES),
        not_contacted_days=int(days) if days else None,
    )
    return from_registry(session, me(), name, criteria, utcnow())


_FLAG_VALUES = {f.value for f in Vulnerability}


def _campaign_or_404(campaign_id: int) -> Campaign:
    campaign = access.campaign_for(get_session(), me(), scope(), campaign_id)
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def campaign(campaign_id: int) -> str:
    session = get_session()
    row = _campaign_or_404(campaign_id)
    where = (CampaignEntry.campaign_id == row.id) & access.entries_clause(me(), scope())
    coverage = coverage_by_campaign(session, where).get(row.id)
    page = max(1, request.args.get("page", 1, type=int) or 1)
    entries = list(
        session.scalars(
            select(CampaignEntry)
            .where(where)
            .order_by(
                CampaignEntry.state != EntryState.PENDING,
                CampaignEntry.next_try_at.is_not(None),
                CampaignEntry.next_try_at,
                CampaignEntry.id,
            )
            .offset((page - 1) * PAGE)
            .limit(PAGE + 1)
        )
    )
    return render_template(
        "console/campaign.html",
        campaign=row,
        coverage=coverage,
        entries=entries[:PAGE],
        more=len(entries) > PAGE,
        page=page,
        now=utcnow(),
        mask=mask,
        workers=assignable_workers(session, me()) if access.may_build(me()) else [],
        **_template_names(),
    )


@bp.post("/campaigns/<int:campaign_id>/assign")
@login_required
def campaign_assign(campaign_id: int) -> Response:
    if not access.may_build(me()):
        abort(404)
    session = get_session()
    row = _campaign_or_404(campaign_id)
    chosen = [int(w) for w in request.form.getlist("worker") if w.isdigit()]
    try:
        dealt = assign_round_robin(session, me(), row, chosen)
        session.commit()
        flash(_("已分派 %(n)d 位待拨打的居民", n=dealt))
    except CampaignInvalid as exc:
        session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("console.campaign", campaign_id=campaign_id))


def _entry_or_404(entry_id: int) -> CampaignEntry:
    entry = access.entry_for(get_session(), me(), scope(), entry_id)
    if entry is None:
        abort(404)
    return entry


@bp.get("/campaign-entries/<int:entry_id>")
@login_required
def campaign_entry(entry_id: int) -> str:
    session = get_session()
    entry = _entry_or_404(entry_id)
    station_clause = scope().stations_clause
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.caller_id == entry.caller_id, scope().tickets_clause())
            .order_by(Ticket.opened_at.desc())
            .limit(20)
        )
    )
    calls = list(
        session.scalars(
            select(Call)
            .where(Call.caller_id == entry.caller_id, station_clause(Call.station_id))
            .order_by(Call.started_at.desc())
            .limit(20)
        )
    )
    mine = entry.assignee_id == me().id
    return render_template(
        "console/campaign_entry.html",
        entry=entry,
        number=entry.caller.phone_number if mine else mask(entry.caller.phone_number),
        mine=mine,
        tickets=tickets,
        calls=calls,
        results=CALL_RESULTS,
        **_template_names(),
    )


@bp.post("/campaign-entries/<int:entry_id>/call")
@login_required
def campaign_entry_call(entry_id: int) -> Response:
    entry = _entry_or_404(entry_id)
    if entry.assignee_id != me().id:
        abort(404)  # only the worker the resident is assigned to rings them
    worker_id, has_phone = me().id, bool(me().phone)
    # No transaction stays open across Twilio's REST request: the request's session ends
    # here and is not touched again until the call is placed (on SQLite a POST's session
    # would take the write lock the dialling's own short transactions need).
    get_session().rollback()
    try:
        dialing.start(
            database().sessions,
            current_app.config["IVR"],
            entry_id,
            worker_id,
            current_app.extensions.get("ivr.twilio_http_client"),
        )
        flash(_("正在拨打您的电话，接听后将为您接通居民"), "info")
    except CampaignInvalid as exc:
        flash(own_phone_missing() if not has_phone else str(exc), "error")
    return redirect(url_for("console.campaign_entry", entry_id=entry_id))


@bp.post("/campaign-entries/<int:entry_id>/outcome")
@login_required
def campaign_entry_outcome(entry_id: int) -> Response:
    session = get_session()
    entry = _entry_or_404(entry_id)
    if entry.assignee_id != me().id:
        abort(404)
    try:
        outcome = CampaignOutcome(request.form.get("outcome", ""))
    except ValueError:
        flash(_("请选择这次电话的结果"), "error")
        return redirect(url_for("console.campaign_entry", entry_id=entry_id))
    try:
        outcomes.record_outcome(
            session,
            entry,
            me(),
            outcome,
            utcnow(),
            note=request.form.get("note", ""),
            tags=split_tag_field(request.form.get("tags", "")),
        )
        session.commit()
        flash(_("已记录：%(result)s", result=CALL_RESULTS[outcome]))
    except CampaignInvalid as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("console.campaign_entry", entry_id=entry_id))
    return redirect(url_for("console.campaign", campaign_id=entry.campaign_id))
