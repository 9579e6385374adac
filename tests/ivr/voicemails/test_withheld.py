"""Withheld caller IDs: Twilio's placeholder is shared by strangers, so nothing joins on it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ivr.calls.log import caller_for_number
from ivr.tickets.cases import open_or_merge_ticket
from models import Call, Caller, Ticket, TicketSource, Voicemail, utcnow
from tests.conftest import fresh
from tests.ivr.voicemails.conftest import RESIDENT, Line


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return fresh(session).scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("withheld", ["+266696687", "+86282452253", "anonymous", ""])
def test_two_withheld_callers_leaving_voicemails_are_two_cases(
    twilio, media, station, db_session, withheld
):
    callers_before = _count(db_session, Caller)  # the station fixture's resident
    for n, sid in enumerate(("CA" + "7" * 32, "CA" + "8" * 32)):
        line = Line(twilio, media, sid)
        line.base["From"] = withheld
        line.reach_voicemail().recorded(f"RE{n:032d}")
    assert _count(db_session, Voicemail) == 2
    assert _count(db_session, Caller) == callers_before  # no Caller for a placeholder
    tickets = fresh(db_session).scalars(select(Ticket).order_by(Ticket.id)).all()
    assert len(tickets) == 2
    assert [t.caller_id for t in tickets] == [None, None]
    assert [len(t.voicemails) for t in tickets] == [1, 1]
    calls = db_session.scalars(select(Call)).all()
    assert len(calls) == 2 and {c.caller_id for c in calls} == {None}


def test_a_known_number_still_joins_its_open_case(twilio, media, station, db_session):
    for n, sid in enumerate(("CA" + "5" * 32, "CA" + "6" * 32)):
        Line(twilio, media, sid).reach_voicemail().recorded(f"RE{n:032d}")
    ticket = fresh(db_session).scalars(select(Ticket)).one()
    assert ticket.caller is not None and ticket.caller.phone_number == RESIDENT
    assert len(ticket.voicemails) == 2


def test_no_caller_is_made_for_a_placeholder(db_session):
    assert caller_for_number(db_session, "+266696687") is None
    assert caller_for_number(db_session, "+7378742833") is None
    assert caller_for_number(db_session, "+8613912345670") is not None


def test_a_caller_made_for_a_placeholder_earlier_joins_nothing(db_session, station):
    """Rows from before placeholders were recognised: the Caller is ignored, so the
    one-open-case-per-caller index does not refuse the second stranger's case."""
    legacy = Caller(phone_number="+266696687", name="")
    db_session.add(legacy)
    db_session.flush()
    tickets = [
        open_or_merge_ticket(
            db_session,
            station=station,
            caller=legacy,
            caller_number="+266696687",
            source=TicketSource.ABANDONED,
            now=utcnow(),
        )
        for _ in range(2)
    ]
    db_session.commit()
    assert tickets[0].id != tickets[1].id
    assert [t.caller_id for t in tickets] == [None, None]
