"""A referral's round trip in the console: incoming at the receiver until accepted or
declined with a reason; a decline returns the ticket; the sender is told the outcome."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from ivr.tickets.actions import refer
from models import Referral, ReferralState, Ticket, TicketEventKind, TicketStatus, utcnow
from tests.conftest import fresh
from tests.ivr.console.test_queue_triage import rows


def _referrals(db_session, ticket_id: int) -> list[Referral]:  # type: ignore[no-untyped-def]
    return list(
        fresh(db_session).scalars(
            select(Referral).where(Referral.ticket_id == ticket_id).order_by(Referral.id)
        )
    )


def _refer_a_to_b(world, db_session) -> Ticket:  # type: ignore[no-untyped-def]
    ticket = world["tickets"]["a"]
    refer(db_session, ticket, world["users"]["worker-a"], "baiyun-tongde", "居民住在同德街")
    db_session.commit()
    return ticket


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def test_a_referral_waits_in_the_receivers_incoming_view_until_answered(
    world, login, second_browser, db_session
):
    ticket = _refer_a_to_b(world, db_session)
    [referral] = _referrals(db_session, ticket.id)
    assert referral.state is ReferralState.PENDING
    # The receiver's own time limit for a normal ticket (24 hours by default).
    assert referral.accept_due_at - referral.sent_at == timedelta(hours=24)

    second_browser.login("worker-b")
    queue = second_browser.get("/console/")
    assert re.search(r"待接收 <b>1</b>", _text(queue))
    assert "待接收 · 来自 南洲街" in rows(queue)[ticket.id]
    assert set(rows(second_browser.get("/console/?view=incoming"))) == {ticket.id}
    page = _text(second_browser.get(f"/console/tickets/{ticket.id}"))
    assert 'id="accept-form"' in page and 'id="decline-form"' in page
    assert 'id="resolve-form"' not in page  # answer first, then work it
    assert "居民住在同德街" in page

    # Working it before accepting is refused, with the reason.
    refused = second_browser.post(
        f"/console/tickets/{ticket.id}/resolve", category="food", problems="1", version="2"
    )
    assert refused.status_code == 422 and "请先接收这张转介来的工单" in _text(refused)
    # The sender reads it, and cannot answer for the receiver.
    sender = login("worker-a")
    mine = _text(sender.get(f"/console/tickets/{ticket.id}"))
    assert "等待同德街接收或退回" in mine and 'id="accept-form"' not in mine
    answered = sender.post(f"/console/tickets/{ticket.id}/referral/accept", version="2")
    assert answered.status_code == 403
    assert _referrals(db_session, ticket.id)[0].state is ReferralState.PENDING
    assert "转介：对方待接收" in rows(sender.get("/console/?view=referred_out"))[ticket.id]


def test_a_decline_returns_the_ticket_with_the_reason_and_tells_the_sender(
    world, login, second_browser, db_session
):
    ticket = _refer_a_to_b(world, db_session)
    second_browser.login("worker-b")
    empty = second_browser.post(f"/console/tickets/{ticket.id}/referral/decline", reason=" ")
    assert empty.status_code == 422 and "备注不能为空" in _text(empty)
    second_browser.post(
        f"/console/tickets/{ticket.id}/referral/decline",
        reason="居民户籍在南洲街，不在同德街",
        version="2",
    )
    row = fresh(db_session).get(Ticket, ticket.id)
    assert row.station_id == world["stations"]["a"].id and row.referred_from_station_id is None
    [referral] = _referrals(db_session, ticket.id)
    assert referral.state is ReferralState.DECLINED and referral.notice_unread
    assert referral.decline_reason == "居民户籍在南洲街，不在同德街"
    assert row.events[-1].kind is TicketEventKind.REFERRAL_DECLINED
    # Gone from the receiver, back in the sender's queue, marked returned.
    assert second_browser.get(f"/console/tickets/{ticket.id}").status_code == 404
    assert rows(second_browser.get("/console/?view=incoming")) == {}

    sender = login("worker-a")
    queue = sender.get("/console/")
    assert "被 同德街 退回" in rows(queue)[ticket.id]
    assert re.search(r'id="referral-notices"[^>]*>转介通知 <b class="badge">1</b>', _text(queue))
    notices = _text(sender.get("/console/?view=referred_out"))
    assert "同德街 退回了转介" in notices and "居民户籍在南洲街" in notices
    page = _text(sender.get(f"/console/tickets/{ticket.id}"))
    assert "转介被退回" in page and 'id="resolve-form"' in page  # the sender's to work again
    # Opened: the notice is read.
    assert not _referrals(db_session, ticket.id)[0].notice_unread
    assert 'id="referral-notices"' not in _text(sender.get("/console/"))


def test_accepted_then_resolved_the_sender_sees_the_outcome(
    world, login, second_browser, db_session
):
    ticket = _refer_a_to_b(world, db_session)
    second_browser.login("worker-b")
    second_browser.post(f"/console/tickets/{ticket.id}/referral/accept", version="2")
    [referral] = _referrals(db_session, ticket.id)
    assert referral.state is ReferralState.ACCEPTED and referral.answered_at is not None
    page = _text(second_browser.get(f"/console/tickets/{ticket.id}"))
    assert 'id="resolve-form"' in page and 'id="accept-form"' not in page
    assert "转介自 南洲街" in rows(second_browser.get("/console/"))[ticket.id]
    second_browser.post(
        f"/console/tickets/{ticket.id}/resolve",
        category="food",
        problems="2",
        text="已送米油到家",
        version="3",
    )
    [referral] = _referrals(db_session, ticket.id)
    assert referral.state is ReferralState.RESOLVED and referral.notice_unread
    assert (referral.outcome_category, referral.outcome_problems) == ("food", 2)
    kinds = [e.kind for e in fresh(db_session).get(Ticket, ticket.id).events]
    assert kinds[-2:] == [TicketEventKind.RESOLVED, TicketEventKind.REFERRAL_RESOLVED]

    sender = login("worker-a")
    out = sender.get("/console/?view=referred_out&status=all")
    assert "同德街 已办结 · 食物和日用品 ×2" in _text(out) and "已送米油到家" in _text(out)
    assert "转介：已办结" in rows(out)[ticket.id]
    sender.get(f"/console/tickets/{ticket.id}")
    assert not _referrals(db_session, ticket.id)[0].notice_unread


def test_an_answer_overdue_is_marked_for_both_sides_and_the_district(
    world, login, second_browser, db_session
):
    ticket = _refer_a_to_b(world, db_session)
    referral = fresh(db_session).scalar(select(Referral))
    referral.accept_due_at = utcnow() - timedelta(hours=2)
    fresh(db_session).commit()
    db_session.expire_all()

    second_browser.login("worker-b")
    queue = second_browser.get("/console/")
    assert "1 超时" in _text(queue) and "接收超时" in rows(queue)[ticket.id]
    assert "已超过接收时限" in _text(second_browser.get(f"/console/tickets/{ticket.id}"))
    for sender in ("worker-a", "haizhu-admin"):
        out = login(sender).get("/console/?view=referred_out")
        assert "接收超时" in rows(out)[ticket.id]
        assert "1 超时未接收" in _text(out)


def test_a_ticket_referred_twice_keeps_its_history_and_the_first_sender_still_reads_it(
    world, login, second_browser, db_session
):
    ticket = _refer_a_to_b(world, db_session)
    second_browser.login("worker-b")
    second_browser.post(f"/console/tickets/{ticket.id}/referral/accept", version="2")
    second_browser.post(
        f"/console/tickets/{ticket.id}/refer",
        station="haizhu-fengyang",
        reason="居民又搬到凤阳街",
        version="3",
    )
    first, second = _referrals(db_session, ticket.id)
    assert (first.state, second.state) == (ReferralState.ACCEPTED, ReferralState.PENDING)
    assert fresh(db_session).get(Ticket, ticket.id).referred_from_station_id == (
        world["stations"]["b"].id
    )
    sender = login("worker-a")
    page = _text(sender.get(f"/console/tickets/{ticket.id}"))
    assert "转介记录 (2)" in page and "同德街 → 凤阳街" in page and "南洲街 → 同德街" in page
    assert ticket.id in rows(sender.get("/console/?view=referred_out"))


def test_a_decline_is_refused_when_the_sender_has_another_open_case_for_the_caller(
    world, login, second_browser, db_session
):
    ticket = _refer_a_to_b(world, db_session)
    # The resident called the sender again meanwhile: a new case there.
    again = Ticket(
        station_id=world["stations"]["a"].id,
        caller_id=ticket.caller_id,
        caller_number=ticket.caller_number,
        due_at=utcnow() + timedelta(hours=24),
    )
    db_session.add(again)
    db_session.commit()
    second_browser.login("worker-b")
    refused = second_browser.post(
        f"/console/tickets/{ticket.id}/referral/decline", reason="不在本街道", version="2"
    )
    assert refused.status_code == 422 and f"#{again.id}" in _text(refused)
    row = fresh(db_session).get(Ticket, ticket.id)
    assert row.station_id == world["stations"]["b"].id and row.status is TicketStatus.OPEN
