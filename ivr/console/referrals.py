"""Referrals in the console: the ticket page's referral section, and the sender's notices.

The receiver accepts or declines on the ticket page (routes in ``tickets.py``, which share
its refusal handling); the sender follows its referrals in the queue's "referred out"
view, where declines and outcomes it has not opened yet are listed, and counted in every
page's bar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import g
from flask_login import current_user
from sqlalchemy.orm import Session

from ivr.console import bp
from ivr.console.common import scope
from ivr.db import get_session
from ivr.tickets import referrals
from models import Referral, ReferralState, Ticket, utcnow


@dataclass
class ReferralView:
    """What the ticket page shows of a ticket's referrals."""

    history: list[Referral] = field(default_factory=list)  # newest first
    awaiting: Referral | None = None  # waiting for the receiver's answer
    can_answer: bool = False  # the signed-in person is at the receiving station
    overdue: bool = False  # the answer is late

    @property
    def returned(self) -> Referral | None:
        """The newest referral, if it was declined (the ticket came back with it)."""
        newest = self.history[0] if self.history else None
        return newest if newest and newest.state is ReferralState.DECLINED else None


def referral_view(session: Session, ticket: Ticket) -> ReferralView:
    history = list(reversed(referrals.history(session, ticket.id)))
    awaiting = next((r for r in history if r.state is ReferralState.PENDING), None)
    return ReferralView(
        history=history,
        awaiting=awaiting,
        can_answer=awaiting is not None and scope().can_act_on(ticket),
        overdue=awaiting is not None and referrals.is_overdue(awaiting, utcnow()),
    )


@bp.app_context_processor
def _referral_notices() -> dict[str, Any]:
    def referral_notice_count() -> int:
        """Declines and outcomes my stations have not opened yet (the bar's badge)."""
        if not current_user.is_authenticated:
            return 0
        if "referral_notices" not in g:
            g.referral_notices = referrals.unread_count(get_session(), scope())
        return g.referral_notices

    return {"referral_notice_count": referral_notice_count}
