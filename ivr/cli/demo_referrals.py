"""The demo's referrals between 黄石街 and 同德街 (the seed article's 连姐), one in each
state, made through the same service the console uses (``ivr.tickets.referrals``):

- waiting for 同德街 to accept (sent two hours ago), and one past its time limit;
- accepted, being worked at 同德街;
- declined with a reason: back in 黄石街's queue, a notice 黄石街 has not opened;
- accepted and resolved: its outcome a notice 黄石街 has not opened.

Sign in as ``huangshi-worker`` (the sender: 转介通知, 已转介出去) and ``tongde-worker``
(the receiver: 待接收). Safe to repeat: nothing is added once a referral between the two
stations exists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ivr.cli.demo_activity import logged_case
from ivr.tickets import actions, referrals
from models import Referral, Station, Ticket, TicketEvent, TicketStatus, User

SENDER, RECEIVER = "baiyun-huangshi", "baiyun-tongde"
SENDER_USER, RECEIVER_USER = "huangshi-worker", "tongde-worker"
REASON = "居民实际住在同德街辖区，请同德街社工跟进"

# (hours ago it was sent, what became of it, hours after sending each step came)
STORIES: tuple[tuple[float, str, float], ...] = (
    (120, "resolved", 0.5),
    (26, "declined", 3),
    (2, "pending", 0),
    (30, "pending", 0),  # the receiver's 24-hour limit passed
    (50, "accepted", 1.5),
)
# When 黄石街 has too few open cases to refer, the worker logs these residents' calls.
RESIDENTS = (
    ("连姐", "+8613900990001"),
    ("何奶奶", "+8613900990002"),
    ("黄伯", "+8613900990003"),
    ("周女士", "+8613900990004"),
    ("吴叔", "+8613900990005"),
)
LOGGED = "居民来电：住在同德街，家里缺米缺药（社工记录）"


def _step(session: Session, ticket: Ticket, at: datetime, change: Callable[[], object]) -> None:
    """Make ``change`` and date what it wrote to the ticket's trail ``at``."""
    before = session.scalar(
        select(func.coalesce(func.max(TicketEvent.id), 0)).where(TicketEvent.ticket_id == ticket.id)
    )
    change()
    session.flush()
    session.execute(
        update(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.id > before)
        .values(at=at)
        .execution_options(synchronize_session=False)
    )


def _candidates(session: Session, sender: Station, receiver: Station) -> list[Ticket]:
    """The sender's open cases whose caller has none open at the receiver, oldest first."""
    busy = select(Ticket.caller_id).where(
        Ticket.station_id == receiver.id, Ticket.status != TicketStatus.RESOLVED
    )
    return list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.station_id == sender.id,
                Ticket.status != TicketStatus.RESOLVED,
                Ticket.caller_id.is_not(None),
                Ticket.caller_id.not_in(busy),
            )
            .order_by(Ticket.opened_at)
        )
    )


def add_demo_referrals(session: Session, now: datetime) -> str:
    stations = {
        s.code: s
        for s in session.scalars(select(Station).where(Station.code.in_((SENDER, RECEIVER))))
    }
    users = {
        u.username: u
        for u in session.scalars(
            select(User).where(User.username.in_((SENDER_USER, RECEIVER_USER)))
        )
    }
    if len(stations) < 2 or len(users) < 2:
        return "referrals: 黄石街 or 同德街 (or their workers) missing, none added"
    sender, receiver = stations[SENDER], stations[RECEIVER]
    made = session.scalar(
        select(Referral.id).where(
            Referral.from_station_id == sender.id, Referral.to_station_id == receiver.id
        )
    )
    if made is not None:
        return "referrals: already present, left as they are"
    tickets = _candidates(session, sender, receiver)[: len(STORIES)]
    opened = max(0, len(STORIES) - len(tickets))
    for name, number in RESIDENTS[: max(0, len(STORIES) - len(tickets))]:
        at = now - timedelta(days=6)
        tickets.append(
            logged_case(session, sender, (name, number), at, LOGGED, ("food", "medicine"))
        )
    states = []
    for ticket, (hours, end, answer_after) in zip(tickets, STORIES, strict=False):
        sent = max(ticket.opened_at, now - timedelta(hours=hours))
        answered = sent + timedelta(hours=answer_after)
        _tell(session, ticket, sent, answered, end, users[SENDER_USER], users[RECEIVER_USER])
        states.append(end)
    cases = f" ({opened} cases opened for them)" if opened else ""
    told = ", ".join(states) or "none (no open case to refer)"
    return f"referrals: 黄石街 → 同德街 {told}{cases}"


def _tell(  # type: ignore[no-untyped-def]
    session: Session, ticket: Ticket, sent: datetime, answered: datetime, end: str, by, to
) -> None:
    """One referral's story, each step through the service, dated as it happened."""
    _step(
        session,
        ticket,
        sent,
        lambda: referrals.send(session, ticket, by, RECEIVER, REASON, sent),
    )
    if end == "pending":
        return
    if end == "declined":
        reason = "经核实居民户籍和住址都在黄石街，请黄石街继续跟进"
        _step(
            session,
            ticket,
            answered,
            lambda: referrals.decline(session, ticket, to, reason, answered),
        )
        return
    _step(session, ticket, answered, lambda: referrals.accept(session, ticket, to, answered))
    if end == "resolved":
        done = answered + timedelta(hours=5)
        note = "已联系居民，社区志愿者送去米油和降压药"
        _step(
            session,
            ticket,
            done,
            lambda: actions.resolve(session, ticket, to, "food", 2, note, done),
        )
