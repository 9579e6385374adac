"""The demo's tickets look like real ones: the menu need's tag, and a trail naming workers."""

from __future__ import annotations

from sqlalchemy import select

from models import Call, Ticket, TicketEvent, TicketEventKind, User, Voicemail


def test_demo_tickets_carry_their_need_tags_and_name_the_workers(runner, db_session):
    made = runner.invoke("demo", "--days", "3")
    assert made.exit_code == 0, made.output
    rows = db_session.execute(
        select(Ticket, Call.chosen_need)
        .join(Voicemail, Voicemail.ticket_id == Ticket.id)
        .join(Call, Call.id == Voicemail.call_id)
    ).all()
    assert len(rows) > 100
    for ticket, need in rows:
        assert need and need in {t.code for t in ticket.tags}, ticket.id
    flagged = [t for t, _need in rows if t.caller is not None and t.caller.vulnerabilities]
    assert flagged and all(
        {v.flag.value for v in t.caller.vulnerabilities} <= {g.code for g in t.tags}
        for t in flagged
    )
    worker = db_session.scalar(select(User).where(User.username == "nanzhou-worker"))
    done = db_session.scalars(
        select(TicketEvent)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.kind == TicketEventKind.CALLBACK_ATTEMPT,
            Ticket.referred_from_station_id.is_(None),
            Ticket.station_id == worker.station_id,
        )
    ).all()
    assert done and all(e.actor_id == worker.id for e in done)
