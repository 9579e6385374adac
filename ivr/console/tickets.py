"""One ticket: who called, what they said, and what the workers did about it."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup, escape
from sqlalchemy import select
from werkzeug.wrappers import Response

from ivr.calls import click_to_call
from ivr.console import bp
from ivr.console.common import me, scope, ticket_or_404
from ivr.db import get_session
from ivr.phone import is_withheld, mask
from ivr.tickets import actions
from models import ResolutionCategory, Role, Station, Ticket, User, utcnow

LOW_CONFIDENCE = 0.6


def shown_number(ticket: Ticket) -> str:
    """The caller's number in full only to the worker the ticket is assigned to; nothing
    for a withheld number, whose placeholder (+266696687 …) is no one's to call back."""
    if is_withheld(ticket.caller_number):
        return ""
    if ticket.assignee_id == me().id:
        return ticket.caller_number
    return mask(ticket.caller_number) if ticket.caller_number else ""


def colleagues(ticket: Ticket) -> list[User]:
    if ticket.station_id is None:
        return []
    return list(
        get_session().scalars(
            select(User)
            .where(
                User.station_id == ticket.station_id,
                User.active.is_(True),
                User.role.in_([Role.WORKER, Role.STATION_ADMIN]),
            )
            .order_by(User.username)
        )
    )


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> str:
    row = ticket_or_404(ticket_id)
    stations = get_session().scalars(
        select(Station).where(Station.active.is_(True)).order_by(Station.code)
    )
    return render_template(
        "console/ticket.html",
        ticket=row,
        number=shown_number(row),
        caller_history=row.caller is not None and not is_withheld(row.caller.phone_number),
        can_act=scope().can_act_on(row),
        colleagues=colleagues(row),
        stations=list(stations),
        categories=list(ResolutionCategory),
        outcomes=list(actions.CallbackOutcome),
        low=LOW_CONFIDENCE,
        now=utcnow(),
    )


def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _act(ticket_id: int, change) -> Response:  # type: ignore[no-untyped-def]
    """Apply a change as the signed-in user; a refusal is shown, never a 500."""
    row = ticket_or_404(ticket_id)
    if not scope().can_act_on(row):
        abort(403)
    session = get_session()
    try:
        actions.check_version(row, _form_int("version"))
        change(session, row)
        session.commit()
    except actions.TicketActionInvalid as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        flash(_("已保存"), "info")
    return redirect(url_for("console.ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/note")
@login_required
def note(ticket_id: int) -> Response:
    text = request.form.get("text", "")
    return _act(ticket_id, lambda s, t: actions.add_note(s, t, me(), text))


@bp.post("/tickets/<int:ticket_id>/tags")
@login_required
def tags(ticket_id: int) -> Response:
    codes = request.form.get("tags", "").replace("，", ",").split(",")
    return _act(ticket_id, lambda s, t: actions.set_tags(s, t, me(), codes))


@bp.post("/tickets/<int:ticket_id>/attempt")
@login_required
def attempt(ticket_id: int) -> Response:
    outcome, text = request.form.get("outcome", ""), request.form.get("text", "")
    return _act(ticket_id, lambda s, t: actions.log_callback(s, t, me(), outcome, text, utcnow()))


@bp.post("/tickets/<int:ticket_id>/assign")
@login_required
def assign(ticket_id: int) -> Response:
    target = me().id if request.form.get("claim") else _form_int("assignee")
    return _act(ticket_id, lambda s, t: actions.assign(s, t, me(), target))


@bp.post("/tickets/<int:ticket_id>/refer")
@login_required
def refer(ticket_id: int) -> Response:
    code, reason = request.form.get("station", ""), request.form.get("reason", "")
    return _act(ticket_id, lambda s, t: actions.refer(s, t, me(), code, reason))


@bp.post("/tickets/<int:ticket_id>/resolve")
@login_required
def resolve(ticket_id: int) -> Response:
    category, text = request.form.get("category", ""), request.form.get("text", "")
    problems = _form_int("problems")
    if problems is None:
        problems = -1  # refused with a message by the service
    return _act(
        ticket_id, lambda s, t: actions.resolve(s, t, me(), category, problems, text, utcnow())
    )


@bp.post("/tickets/<int:ticket_id>/call")
@login_required
def call(ticket_id: int) -> Response:
    """Click-to-call: Twilio rings my phone, then the resident, from the hotline number."""
    config = current_app.config["IVR"]
    http_client = current_app.extensions.get("ivr.twilio_http_client")

    def ring(session, ticket):  # type: ignore[no-untyped-def]
        click_to_call.start(session, config, ticket, me(), http_client)
        flash(_("正在拨打您的电话，接听后将为您接通居民"), "info")

    if not click_to_call.has_own_phone(me()):  # refused by the service too; this links
        ticket_or_404(ticket_id)
        flash(own_phone_missing(), "error")
        return redirect(url_for("console.ticket", ticket_id=ticket_id))
    return _act(ticket_id, ring)


def own_phone_missing() -> Markup:
    """Click-to-call's answer to a worker with no phone: a link to the account page."""
    link = Markup('<a href="%s#phone">%s</a>') % (url_for("console.account"), _("我的账户"))
    return Markup(
        escape(_("请先在%(account)s里填写你自己的电话号码：回电时系统先呼叫它，你接听后再接通居民"))
    ) % {"account": link}
