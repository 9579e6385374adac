"""``/tickets/{id}/referrals``: refer a ticket to another station; the receiver accepts or
declines it (``ivr.tickets.referrals`` holds the rules the console follows too).

A referred ticket moves to the receiving station at once and waits there, as *incoming*,
for its answer; until then it takes no other change (409 ``referral_pending``).
"""

from __future__ import annotations

from flask import Response, jsonify, request

from ivr.api import bp, serialize
from ivr.api.bodies import integer, json_object, text
from ivr.api.params import Query
from ivr.api.ticket_changes import MAX_VERSION
from ivr.api.tickets import changeable, save
from ivr.api.tokens import current_user
from ivr.db import get_session
from ivr.tickets import actions, referrals
from ivr.tickets.actions import MAX_NOTE
from models import Referral, utcnow

SEND_FIELDS = {"station", "reason", "expected_version"}
ANSWER_FIELDS = {"reason", "expected_version"}


def _answer(referral: list[Referral]) -> Response:
    session = get_session()
    session.refresh(referral[0])
    return jsonify(serialize.referral(referral[0], utcnow()))


@bp.post("/tickets/<int:ticket_id>/referrals")
def send_referral(ticket_id: int) -> tuple[Response, int]:
    Query(request.args, set())
    session, user = get_session(), current_user()
    ticket = changeable(session, ticket_id)
    data = json_object(SEND_FIELDS)
    station = text(data, "station", 64, required=True) or ""
    reason = text(data, "reason", MAX_NOTE, required=True) or ""
    expected = integer(data, "expected_version", 1, MAX_VERSION)
    sent: list[Referral] = []

    def send() -> None:
        actions.check_version(ticket, expected)
        sent.append(referrals.send(session, ticket, user, station, reason, utcnow()))

    save(session, send)
    return _answer(sent), 201


@bp.post("/tickets/<int:ticket_id>/referrals/accept")
def accept_referral(ticket_id: int) -> Response:
    Query(request.args, set())
    session, user = get_session(), current_user()
    ticket = changeable(session, ticket_id, answering=True)
    expected = integer(json_object({"expected_version"}), "expected_version", 1, MAX_VERSION)
    accepted: list[Referral] = []

    def accept() -> None:
        actions.check_version(ticket, expected)
        accepted.append(referrals.accept(session, ticket, user, utcnow()))

    save(session, accept)
    return _answer(accepted)


@bp.post("/tickets/<int:ticket_id>/referrals/decline")
def decline_referral(ticket_id: int) -> Response:
    Query(request.args, set())
    session, user = get_session(), current_user()
    ticket = changeable(session, ticket_id, answering=True)
    data = json_object(ANSWER_FIELDS)
    reason = text(data, "reason", MAX_NOTE, required=True) or ""
    expected = integer(data, "expected_version", 1, MAX_VERSION)
    declined: list[Referral] = []

    def decline() -> None:
        actions.check_version(ticket, expected)
        declined.append(referrals.decline(session, ticket, user, reason, utcnow()))

    save(session, decline)
    return _answer(declined)
