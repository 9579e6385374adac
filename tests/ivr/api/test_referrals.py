"""Referrals through the REST API: send, incoming, accept or decline with a reason, the
outcome; the same states the console shows, and the same scope rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ivr.api.tokens import issue_token
from models import Referral, ReferralState, Role, Ticket, utcnow
from tests import factories
from tests.conftest import fresh
from tests.ivr.api.conftest import error_code


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def _sent(api, world, db_session):  # type: ignore[no-untyped-def]
    row = factories.ticket(db_session, world.a)
    db_session.commit()
    response = api("worker-a").post(
        f"/tickets/{row.id}/referrals",
        {"station": "baiyun-tongde", "reason": "居民住在同德街", "expected_version": 1},
    )
    assert response.status_code == 201, response.get_json()
    return row, response.get_json()


def test_a_referral_is_sent_and_waits_in_the_receivers_incoming_view(api, world, db_session):
    row, body = _sent(api, world, db_session)
    assert body["state"] == "pending" and body["answer_overdue"] is False
    assert (body["from_station"], body["to_station"]) == ("haizhu-nanzhou", "baiyun-tongde")
    assert body["reason"] == "居民住在同德街" and body["answered_at"] is None
    receiver = api("worker-b")
    assert _ids(receiver.get("/tickets", view="incoming")) == [row.id]
    [item] = receiver.get("/tickets").get_json()["items"]
    assert item["referral"]["state"] == "pending" and item["station"] == "baiyun-tongde"
    detail = receiver.get(f"/tickets/{row.id}").get_json()
    assert detail["can_answer_referral"] is True and detail["can_change"] is False
    assert [r["state"] for r in detail["referrals"]] == ["pending"]
    # Nothing else until it is accepted.
    refused = receiver.patch(f"/tickets/{row.id}", {"status": "in_progress"})
    assert refused.status_code == 409 and error_code(refused) == "referral_pending"
    assert receiver.post(f"/tickets/{row.id}/notes", {"text": "hi"}).status_code == 409
    # The sender follows it, and may not answer for the receiver.
    sender = api("worker-a")
    assert _ids(sender.get("/tickets", view="referred_out")) == [row.id]
    assert _ids(sender.get("/tickets", view="incoming")) == []
    answer = sender.post(f"/tickets/{row.id}/referrals/accept", {})
    assert answer.status_code == 403


def test_accept_then_resolve_gives_the_sender_the_outcome(api, world, db_session):
    row, _ = _sent(api, world, db_session)
    receiver = api("worker-b")
    accepted = receiver.post(f"/tickets/{row.id}/referrals/accept", {"expected_version": 2})
    assert accepted.status_code == 200 and accepted.get_json()["state"] == "accepted"
    assert accepted.get_json()["answered_at"] is not None
    again = receiver.post(f"/tickets/{row.id}/referrals/accept", {})
    assert again.status_code == 422  # nothing waits any more
    resolved = receiver.patch(
        f"/tickets/{row.id}",
        {"status": "resolved", "resolution_category": "medicine", "problems_solved": 1},
    )
    assert resolved.status_code == 200, resolved.get_json()
    [referral] = api("worker-a").get(f"/tickets/{row.id}").get_json()["referrals"]
    assert referral["state"] == "resolved"
    assert (referral["outcome_category"], referral["outcome_problems"]) == ("medicine", 1)


def test_a_decline_needs_a_reason_and_returns_the_ticket(api, world, db_session):
    row, _ = _sent(api, world, db_session)
    receiver = api("worker-b")
    blank = receiver.post(f"/tickets/{row.id}/referrals/decline", {"reason": "  "})
    assert blank.status_code == 422
    missing = receiver.post(f"/tickets/{row.id}/referrals/decline", {})
    assert missing.status_code == 400
    declined = receiver.post(f"/tickets/{row.id}/referrals/decline", {"reason": "不在本街道"})
    assert declined.status_code == 200
    body = declined.get_json()
    assert body["state"] == "declined" and body["decline_reason"] == "不在本街道"
    ticket = fresh(db_session).get(Ticket, row.id)
    assert ticket.station_id == world.a.id and ticket.referred_from_station_id is None
    assert receiver.get(f"/tickets/{row.id}").status_code == 404
    sender = api("worker-a")
    [item] = [i for i in sender.get("/tickets").get_json()["items"] if i["id"] == row.id]
    assert item["referral"]["state"] == "declined"
    assert sender.get(f"/tickets/{row.id}").get_json()["can_change"] is True


def test_an_overdue_answer_shows_to_both_sides(api, world, db_session):
    row, _ = _sent(api, world, db_session)
    referral = fresh(db_session).scalar(select(Referral).where(Referral.ticket_id == row.id))
    referral.accept_due_at = utcnow() - timedelta(minutes=5)
    fresh(db_session).commit()
    for user, view in (("worker-b", "incoming"), ("worker-a", "referred_out")):
        [item] = api(user).get("/tickets", view=view).get_json()["items"]
        assert item["referral"]["answer_overdue"] is True


def test_referrals_are_refused_where_the_rules_say_so(api, world, db_session):
    row, _ = _sent(api, world, db_session)
    # Another station cannot see it, let alone answer.
    other = factories.user(db_session, "worker-a2", Role.WORKER, world.a2, None)
    db_session.commit()
    secret = issue_token(db_session, other.username, utcnow()).secret
    db_session.commit()
    world.tokens["worker-a2"] = secret
    assert api("worker-a2").post(f"/tickets/{row.id}/referrals/accept", {}).status_code == 404
    # Referring it on before it is accepted is refused; so is an unknown station.
    receiver = api("worker-b")
    onward = {"station": "haizhu-fengyang", "reason": "x"}
    on = receiver.post(f"/tickets/{row.id}/referrals", onward)
    assert on.status_code == 409
    receiver.post(f"/tickets/{row.id}/referrals/accept", {})
    unknown = receiver.post(f"/tickets/{row.id}/referrals", {"station": "nowhere", "reason": "x"})
    assert unknown.status_code == 422
    stale = receiver.post(
        f"/tickets/{row.id}/referrals",
        {"station": "haizhu-fengyang", "reason": "x", "expected_version": 1},
    )
    assert stale.status_code == 409 and error_code(stale) == "conflict"
    states = fresh(db_session).scalars(select(Referral.state).order_by(Referral.id)).all()
    assert states == [ReferralState.ACCEPTED]
