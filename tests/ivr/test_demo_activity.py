"""The demo's made-up month respects the rules real cases follow."""

from __future__ import annotations

import random
from datetime import timedelta

from ivr.cli.demo_activity import _open_ticket, _progress
from models import TicketStatus, utcnow
from tests import factories


class AlwaysRefers(random.Random):
    """The generator's draws that make a demo case be called back and referred."""

    def random(self) -> float:
        return 0.0

    def choice(self, seq):  # type: ignore[no-untyped-def]
        return seq[0]


def test_a_referral_never_gives_a_caller_two_open_cases_at_one_station(db_session):
    here, there = factories.station(db_session), factories.station(db_session)
    caller = factories.caller(db_session, "+8613900000001", name="连姐")
    now = utcnow()
    earlier = _open_ticket(db_session, there, caller, "food", now - timedelta(days=5))
    earlier.referred_from_station_id = here.id  # referred there before, still open
    ticket = _open_ticket(db_session, here, caller, "food", now - timedelta(days=3))

    stations = {s.code: s for s in (here, there)}
    resolved = _progress(db_session, AlwaysRefers(), ticket, ticket.opened_at, now, stations, here)
    db_session.flush()  # the one-open-case-per-caller index holds

    assert not resolved and ticket.station_id == here.id
    assert ticket.status is TicketStatus.IN_PROGRESS and ticket.referred_from_station_id is None
