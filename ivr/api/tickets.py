"""``/tickets``: the call-back queue, one ticket, changing it, and adding notes."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ivr.api import bp, serialize
from ivr.api.bodies import json_object
from ivr.api.errors import ApiError
from ivr.api.pagination import encode_cursor, page
from ivr.api.params import Query
from ivr.api.scoped import ticket_or_404
from ivr.api.ticket_changes import NOTE_FIELDS, PATCH_FIELDS, apply_change, read_change, read_note
from ivr.api.ticket_filters import LISTING, PARAMETERS, read_filters, tickets_query
from ivr.api.tokens import current_scope, current_user
from ivr.db import get_session
from ivr.tickets import referrals
from ivr.tickets.actions import TicketActionInvalid, TicketConflict, add_note
from models import Referral, ReferralState, Ticket, TicketEvent, User, Voicemail, utcnow

CONFLICT_MESSAGE = "这张工单刚被其他人修改过，请重新读取后再试"


def _summary(ticket: Ticket, user: User, latest: dict[int, Referral]) -> dict:
    return serialize.ticket_summary(
        ticket, ticket.assignee_id == user.id, utcnow(), latest.get(ticket.id)
    )


def _usernames(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {row.id: row.username for row in rows}


def _detail(session: Session, ticket: Ticket, user: User) -> dict:
    events = ticket.events
    actors = _usernames(session, {e.actor_id for e in events if e.actor_id is not None})
    voicemails = session.scalars(
        select(Voicemail).where(Voicemail.ticket_id == ticket.id).order_by(Voicemail.id)
    )
    history = referrals.history(session, ticket.id)
    awaiting = any(r.state is ReferralState.PENDING for r in history)
    now = utcnow()
    return {
        **_summary(ticket, user, {ticket.id: history[-1]} if history else {}),
        "can_change": current_scope().can_act_on(ticket) and not awaiting,
        "can_answer_referral": awaiting and current_scope().can_act_on(ticket),
        "voicemails": [serialize.voicemail_brief(v) for v in voicemails],
        "events": [serialize.ticket_event(e, actors) for e in events],
        "referrals": [serialize.referral(r, now) for r in history],
    }


@bp.get("/tickets")
def list_tickets() -> Response:
    filters = read_filters(Query(request.args, PARAMETERS))
    user = current_user()
    rows, more = page(
        list(get_session().scalars(tickets_query(filters, current_scope(), user, utcnow()))),
        filters.limit,
    )
    last = rows[-1] if rows else None
    latest = referrals.latest_of(get_session(), [t.id for t in rows])
    return jsonify(
        {
            "items": [_summary(t, user, latest) for t in rows],
            "next_cursor": encode_cursor(LISTING, last.priority, last.due_at, last.id)
            if more and last
            else None,
        }
    )


@bp.get("/tickets/<int:ticket_id>")
def get_ticket(ticket_id: int) -> Response:
    Query(request.args, set())
    session = get_session()
    return jsonify(
        _detail(session, ticket_or_404(session, current_scope(), ticket_id), current_user())
    )


def changeable(session: Session, ticket_id: int, answering: bool = False) -> Ticket:
    """The ticket if the token's user may change it: visible (else 404) and theirs to act on.
    One waiting to be accepted takes only the receiver's answer (``answering``): 409."""
    ticket = ticket_or_404(session, current_scope(), ticket_id)
    if not current_scope().can_act_on(ticket):
        raise ApiError(403, "forbidden", "工单已转介到其他社工站，只有现在的社工站能修改")
    if not answering and referrals.pending_of(session, ticket) is not None:
        raise ApiError(409, "referral_pending", "请先接收这张转介来的工单（或退回），再处理")
    return ticket


def save(session: Session, change: Callable[[], None]) -> None:
    """Run ``change`` and commit; a refusal or a lost race rolls everything back."""
    try:
        change()
        session.commit()
    except (TicketConflict, StaleDataError):  # stale expected_version, or a concurrent save
        session.rollback()
        raise ApiError(409, "conflict", CONFLICT_MESSAGE) from None
    except TicketActionInvalid as exc:
        session.rollback()
        raise ApiError(422, "invalid_change", str(exc)) from None


@bp.patch("/tickets/<int:ticket_id>")
def update_ticket(ticket_id: int) -> Response:
    Query(request.args, set())
    session, user = get_session(), current_user()
    ticket = changeable(session, ticket_id)
    change = read_change(json_object(PATCH_FIELDS))
    save(session, lambda: apply_change(session, ticket, user, change, utcnow()))
    session.expire_all()  # sessions keep objects after commit; reload what changed
    return jsonify(_detail(session, ticket_or_404(session, current_scope(), ticket_id), user))


@bp.post("/tickets/<int:ticket_id>/notes")
def add_ticket_note(ticket_id: int) -> tuple[Response, int]:
    Query(request.args, set())
    session, user = get_session(), current_user()
    ticket = changeable(session, ticket_id)
    text = read_note(json_object(NOTE_FIELDS))
    added: list[TicketEvent] = []

    def note() -> None:
        add_note(session, ticket, user, text)
        added.extend(row for row in session.new if isinstance(row, TicketEvent))

    save(session, note)
    return jsonify(serialize.ticket_event(added[0], {user.id: user.username})), 201
