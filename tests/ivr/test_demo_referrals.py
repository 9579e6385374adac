"""The demo refers 黄石街's cases to 同德街 in every state, through the real service."""

from __future__ import annotations

from sqlalchemy import select

from models import Referral, ReferralState, Station, Ticket, utcnow


def test_the_demo_has_a_referral_in_every_state_between_huangshi_and_tongde(runner, db_session):
    made = runner.invoke("demo", "--days", "3", "--audio-elsewhere", "0")
    assert made.exit_code == 0, made.output
    said = "referrals: 黄石街 → 同德街 resolved, declined, pending, pending, accepted"
    assert said in made.output
    codes = dict(db_session.execute(select(Station.code, Station.id)).all())
    huangshi, tongde = codes["baiyun-huangshi"], codes["baiyun-tongde"]
    rows = db_session.scalars(
        select(Referral)
        .where(Referral.from_station_id == huangshi, Referral.to_station_id == tongde)
        .order_by(Referral.id)
    ).all()
    assert {r.state for r in rows} == set(ReferralState)
    for row in rows:
        ticket = db_session.get(Ticket, row.ticket_id)
        expected = huangshi if row.state is ReferralState.DECLINED else tongde
        assert ticket.station_id == expected, row.state
        assert row.sent_by_id is not None
    assert sum(r.notice_unread for r in rows) == 2  # the decline and the outcome
    late = [r.accept_due_at < utcnow() for r in rows if r.state is ReferralState.PENDING]
    assert sorted(late) == [False, True]  # one waits in time, one is late
    again = runner.invoke("demo", "--days", "3", "--audio-elsewhere", "0")
    assert "referrals: already present" in again.output
