"""One ticket: who called, what they said, and what the workers did about it.

Every change is a form posted here and made by ``ivr.tickets.actions``. A refused change
(a colleague saved first, or something the rules do not allow) shows the page again with
what the worker typed still in its form, and, for a stale form, what changed meanwhile.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from ivr.alerts.opened import mark_opened
from ivr.calls import block_list, click_to_call
from ivr.console import bp
from ivr.console.common import me, scope, ticket_or_404
from ivr.console.labels import STATUSES
from ivr.console.referrals import referral_view
from ivr.db import get_session
from ivr.phone import is_withheld, mask
from ivr.tickets import actions, referrals
from ivr.tickets.tags import split_tag_field
from ivr.tickets.trail import read_trail
from ivr.voicemails import corrections
from models import District, Priority, ResolutionCategory, Role, Station, Ticket, User, utcnow

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


def referral_targets(ticket: Ticket) -> list[tuple[District, list[Station]]]:
    """Every other active station, grouped by district (the ticket's own district first)."""
    rows = get_session().execute(
        select(District, Station)
        .join(Station, Station.district_id == District.id)
        .where(Station.active.is_(True))
        .order_by(District.code, Station.code)
    )
    groups: dict[int, tuple[District, list[Station]]] = {}
    for district, station in rows:
        if station.id != ticket.station_id:
            groups.setdefault(district.id, (district, []))[1].append(station)
    home = ticket.station.district_id if ticket.station else None
    return sorted(groups.values(), key=lambda group: group[0].id != home)


def tags_field(ticket: Ticket) -> str:
    """The ticket's tags as the worker reads and edits them: by name, in the page's
    language, comma-separated (a name typed back means the same tag)."""
    english = str(get_locale()) == "en"
    names = [(t.name_en if english and t.name_en else t.name_zh) or t.code for t in ticket.tags]
    return (", " if english else "，").join(names)


def _render(
    row: Ticket, typed: dict[str, Any] | None = None, changed: list | None = None, status: int = 200
) -> tuple[str, int]:
    session = get_session()
    referral = referral_view(session, row)
    page = render_template(
        "console/ticket.html",
        ticket=row,
        number=shown_number(row),
        caller_history=row.caller is not None and not is_withheld(row.caller.phone_number),
        # Waiting to be accepted: the receiver answers first, then works it.
        can_act=scope().can_act_on(row) and referral.awaiting is None,
        referral=referral,
        colleagues=colleagues(row),
        referral_groups=referral_targets(row) if row.status.value != "resolved" else [],
        categories=list(ResolutionCategory),
        outcomes=list(actions.CallbackOutcome),
        priorities=list(Priority),
        status_names={status.value: status_label for status, status_label in STATUSES.items()},
        tags_field=tags_field(row),
        trail=read_trail(session, list(reversed(row.events))),
        seen=row.events[-1].id if row.events else 0,
        typed=typed or {},
        changed=changed or [],
        low=LOW_CONFIDENCE,
        now=utcnow(),
        block_warning=block_list.call_back_warning(session, row, utcnow()),
    )
    return page, status


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> tuple[str, int]:
    row = ticket_or_404(ticket_id)
    session = get_session()
    if referrals.mark_seen(session, row, scope()):
        # The sender has now seen the decline or outcome: its notice is read. Not the
        # ticket's version: the notice is the sender's, not the case's.
        session.commit()
    if mark_opened(session, row.id, me(), utcnow()):  # an alert's escalation stops here
        session.commit()
    return _render(row)


def _form_int(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _act(  # type: ignore[no-untyped-def]
    ticket_id: int, form: str, change, answering: bool = False, then: str | None = None
) -> Response | tuple[str, int]:
    """Apply a change as the signed-in user. A refusal shows the page again (409 for a
    stale form, 422 otherwise) with ``form``'s fields as typed; never a 500. A ticket
    waiting to be accepted takes only the receiver's answer (``answering``). Saved, it goes
    back to the ticket, or to ``then``."""
    row = ticket_or_404(ticket_id)
    if not scope().can_act_on(row):
        abort(403)
    session = get_session()
    try:
        actions.check_version(row, _form_int("version"))
        if not answering:
            referrals.require_answered(session, row)
        change(session, row)
        session.commit()
    except (actions.TicketActionInvalid, StaleDataError) as exc:
        session.rollback()
        stale = not isinstance(exc, actions.TicketActionInvalid) or isinstance(
            exc, actions.TicketConflict
        )
        row = ticket_or_404(ticket_id)
        typed = {"form": form, **request.form.to_dict()}
        if stale:
            seen = _form_int("seen") or 0
            changed = read_trail(session, [e for e in row.events if e.id > seen])
            flash(
                _("这张工单在您打开之后被修改过，您填写的内容还在，请看过下面的变化后再提交"),
                "error",
            )
            return _render(row, typed, changed, 409)
        flash(str(exc), "error")
        return _render(row, typed, status=422)
    flash(_("已保存"), "info")
    return redirect(then or url_for("console.ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/note")
@login_required
def note(ticket_id: int) -> Response | tuple[str, int]:
    text = request.form.get("text", "")
    return _act(ticket_id, "note", lambda s, t: actions.add_note(s, t, me(), text))


@bp.post("/tickets/<int:ticket_id>/tags")
@login_required
def tags(ticket_id: int) -> Response | tuple[str, int]:
    typed = split_tag_field(request.form.get("tags", ""))
    return _act(
        ticket_id,
        "tags",
        lambda s, t: actions.set_tags(s, t, me(), [*typed, *request.form.getlist("tag")]),
    )


@bp.post("/tickets/<int:ticket_id>/attempt")
@login_required
def attempt(ticket_id: int) -> Response | tuple[str, int]:
    outcome, text = request.form.get("outcome", ""), request.form.get("text", "")
    return _act(
        ticket_id,
        "attempt",
        lambda s, t: actions.log_callback(s, t, me(), outcome, text, utcnow()),
    )


@bp.post("/tickets/<int:ticket_id>/assign")
@login_required
def assign(ticket_id: int) -> Response | tuple[str, int]:
    target = me().id if request.form.get("claim") else _form_int("assignee")
    return _act(ticket_id, "assign", lambda s, t: actions.assign(s, t, me(), target))


@bp.post("/tickets/<int:ticket_id>/refer")
@login_required
def refer(ticket_id: int) -> Response | tuple[str, int]:
    code, reason = request.form.get("station", ""), request.form.get("reason", "")
    return _act(ticket_id, "refer", lambda s, t: actions.refer(s, t, me(), code, reason))


@bp.post("/tickets/<int:ticket_id>/referral/accept")
@login_required
def accept_referral(ticket_id: int) -> Response | tuple[str, int]:
    return _act(
        ticket_id,
        "accept",
        lambda s, t: referrals.accept(s, t, me(), utcnow()),
        answering=True,
    )


@bp.post("/tickets/<int:ticket_id>/referral/decline")
@login_required
def decline_referral(ticket_id: int) -> Response | tuple[str, int]:
    reason = request.form.get("reason", "")
    return _act(
        ticket_id,
        "decline",
        lambda s, t: referrals.decline(s, t, me(), reason, utcnow()),
        answering=True,
        then=url_for("console.queue", view="incoming"),  # it has gone back: not ours to see
    )


@bp.post("/tickets/<int:ticket_id>/resolve")
@login_required
def resolve(ticket_id: int) -> Response | tuple[str, int]:
    category, text = request.form.get("category", ""), request.form.get("text", "")
    problems = _form_int("problems")
    if problems is None:
        problems = -1  # refused with a message by the service
    return _act(
        ticket_id,
        "resolve",
        lambda s, t: actions.resolve(s, t, me(), category, problems, text, utcnow()),
    )


@bp.post("/tickets/<int:ticket_id>/reopen")
@login_required
def reopen(ticket_id: int) -> Response | tuple[str, int]:
    reason = request.form.get("reason", "")
    return _act(ticket_id, "reopen", lambda s, t: actions.reopen(s, t, me(), reason, utcnow()))


@bp.post("/tickets/<int:ticket_id>/priority")
@login_required
def priority(ticket_id: int) -> Response | tuple[str, int]:
    value = request.form.get("priority", "")
    return _act(ticket_id, "priority", lambda s, t: actions.set_priority(s, t, me(), value))


@bp.post("/tickets/<int:ticket_id>/transcript")
@login_required
def correct_transcript(ticket_id: int) -> Response | tuple[str, int]:
    """A voicemail's transcript corrected. The form carries the correction in force when
    the worker began (not the ticket's version): only someone else's correction makes it
    stale, not a note or a call logged meanwhile."""
    voicemail, seen = _form_int("voicemail"), _form_int("correction") or 0
    text = request.form.get("text", "")
    return _act(
        ticket_id,
        "correct",
        lambda s, t: corrections.correct_transcript(s, t, me(), voicemail, text, seen, utcnow()),
    )


@bp.post("/tickets/<int:ticket_id>/call")
@login_required
def call(ticket_id: int) -> Response | tuple[str, int]:
    """Click-to-call: Twilio rings my phone, then the resident, from the hotline number."""
    config = current_app.config["IVR"]
    http_client = current_app.extensions.get("ivr.twilio_http_client")

    def ring(session, ticket):  # type: ignore[no-untyped-def]
        click_to_call.start(session, config, ticket, me(), http_client)
        flash(_("正在拨打您的电话，接听后将为您接通居民"), "info")
        warning = block_list.call_back_warning(session, ticket, utcnow())
        if warning:  # a block never stops a call back: the worker is told, and it rings
            flash(warning, "error")

    if not click_to_call.has_own_phone(me()):  # refused by the service too; this links
        ticket_or_404(ticket_id)
        flash(own_phone_missing(), "error")
        return redirect(url_for("console.ticket", ticket_id=ticket_id))
    return _act(ticket_id, "call", ring)


def own_phone_missing() -> Markup:
    """Click-to-call's answer to a worker with no phone: a link to the account page."""
    link = Markup('<a href="%s#phone">%s</a>') % (url_for("console.account"), _("我的账户"))
    return Markup(
        escape(_("请先在%(account)s里填写你自己的电话号码：回电时系统先呼叫它，你接听后再接通居民"))
    ) % {"account": link}
