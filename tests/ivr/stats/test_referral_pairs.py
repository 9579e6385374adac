"""Referrals per pair of stations: sent, accepted, declined, time to accept and to resolve,
on the dashboard and in its exports."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from ivr.stats.referral_pairs import referral_pairs
from ivr.stats.report import Period
from ivr.stats.scopes import city_scope, station_scope
from models import Referral, ReferralState, utcnow
from tests import factories
from tests.ivr.stats.conftest import local_today


def _referral(db_session, ticket, sender, receiver, state, sent, **fields):  # type: ignore[no-untyped-def]
    row = Referral(
        ticket_id=ticket.id,
        from_station_id=sender.id,
        to_station_id=receiver.id,
        state=state,
        reason="住址",
        sent_at=sent,
        accept_due_at=sent + timedelta(hours=24),
        **fields,
    )
    db_session.add(row)
    return row


def _month(world, db_session):  # type: ignore[no-untyped-def]
    """A (南洲街) → B (同德街): four referrals in every state; B → A: one declined."""
    a, b = world["stations"]["a"], world["stations"]["b"]
    now = utcnow()
    sent = now - timedelta(hours=30)
    tickets = [factories.ticket(db_session, b) for _ in range(5)]
    _referral(
        db_session,
        tickets[0],
        a,
        b,
        ReferralState.RESOLVED,
        sent,
        answered_at=sent + timedelta(minutes=30),
        resolved_at=sent + timedelta(minutes=300),
        outcome_category="food",
        outcome_problems=1,
    )
    _referral(
        db_session,
        tickets[1],
        a,
        b,
        ReferralState.ACCEPTED,
        sent,
        answered_at=sent + timedelta(minutes=90),
    )
    _referral(
        db_session,
        tickets[2],
        a,
        b,
        ReferralState.DECLINED,
        sent,
        answered_at=sent + timedelta(minutes=5),
        decline_reason="不在本街道",
    )
    _referral(db_session, tickets[3], a, b, ReferralState.PENDING, sent)  # due 6 h ago
    _referral(db_session, tickets[4], b, a, ReferralState.DECLINED, now - timedelta(hours=1))
    db_session.commit()


def test_each_pair_counts_its_referrals_and_the_receivers_times(world, db_session):
    _month(world, db_session)
    today = local_today()
    period = Period(today - timedelta(days=3), today)
    pairs = referral_pairs(db_session, city_scope(db_session), period, utcnow())
    assert [(p.from_name, p.to_name) for p in pairs] == [("南洲街", "同德街"), ("同德街", "南洲街")]
    a_to_b, b_to_a = pairs
    counts = ("sent", "accepted", "declined", "pending", "answer_overdue", "resolved")
    assert [getattr(a_to_b, k) for k in counts] == [4, 2, 1, 1, 1, 1]
    assert a_to_b.median_minutes_to_accept == 60  # 30 and 90
    assert a_to_b.median_minutes_to_resolve == 300
    assert [getattr(b_to_a, k) for k in counts] == [1, 0, 1, 0, 0, 0]
    assert b_to_a.median_minutes_to_accept is None
    # A station sees the pairs it is part of; a period before them has none.
    fengyang = station_scope(world["stations"]["a2"])
    assert referral_pairs(db_session, fengyang, period, utcnow()) == []
    earlier = Period(today - timedelta(days=30), today - timedelta(days=5))
    assert referral_pairs(db_session, city_scope(db_session), earlier, utcnow()) == []


def test_the_dashboard_and_its_exports_show_the_pairs(world, login, db_session):
    _month(world, db_session)
    browser = login("worker-a")
    page = browser.get("/stats/?preset=7d").get_data(as_text=True)
    section = page[page.index('id="referral-pairs"') :]
    row = section[section.index('data-pair="haizhu-nanzhou>baiyun-tongde"') :]
    row = row[: row.index("</tr>")]
    assert "<td>4</td><td>2</td><td>1</td><td>1</td>" in row and '<b class="late">1</b>' in row
    assert "<td>60</td>" in row and "<td>300</td>" in row
    xlsx = browser.get("/stats/export?preset=7d&format=xlsx").data
    book = load_workbook(io.BytesIO(xlsx))
    assert book.sheetnames[-1] == "站对站转介"
    rows = list(book["站对站转介"].iter_rows(values_only=True))
    assert rows[0][:3] == ("转介方", "接收方", "转介")
    assert rows[1] == ("南洲街", "同德街", 4, 2, 1, 1, 1, 1, 60, 300)
    csv = browser.get("/stats/export?preset=7d&format=csv").data.decode("utf-8-sig")
    assert "南洲街,同德街,4,2,1,1,1,1,60,300" in csv
    # A station in neither pair has none to show.
    assert "这个时段没有转介" in login("haizhu-admin").get(
        "/stats/?preset=7d&scope=station:haizhu-fengyang"
    ).get_data(as_text=True)
