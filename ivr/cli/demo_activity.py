"""A month of made-up hotline activity, so a demo's queue and statistics have something in them.

Deterministic (a seeded generator), and written once: a database that already holds demo
calls is left alone. Every row is marked as demo data: call SIDs start ``CAdemo`` and
recording SIDs ``REdemo``, and no audio file exists behind a demo voicemail.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ivr.tickets.cases import open_or_merge_ticket, sla_minutes
from ivr.tickets.tags import get_tags
from models import (
    Call,
    CallDirection,
    Caller,
    CallerVulnerability,
    CallOutcome,
    Priority,
    Referral,
    ReferralState,
    ResolutionCategory,
    Role,
    Station,
    Tag,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketSource,
    TicketStatus,
    Transcript,
    User,
    Voicemail,
    VoicemailState,
    Vulnerability,
)

CALL_PREFIX = "CAdemo"
RECORDING_PREFIX = "REdemo"

# What residents said, by need (the seed article's cases), and how urgent each is.
SAYINGS: dict[str, tuple[str, ...]] = {
    "food": ("家里没有米和油了，能不能帮忙送一点", "封控三天了，蔬菜吃完了，想问哪里能买到菜"),
    "medicine": ("我的降压药快吃完了，出不了门，能帮忙买药吗", "老伴的胰岛素只剩两天的量"),
    "medical": ("我妈妈发烧了，呼吸有点困难，要去医院", "要做透析，想问怎么出小区"),
    "emotional": ("一个人在家很害怕，想找人说说话", "孩子一直哭，我也睡不着"),
    "policy": ("想问一下核酸要隔几天做一次", "从外地回来要不要隔离，隔离几天"),
}
NEEDS = tuple(SAYINGS)
OUTCOMES = (
    (CallOutcome.VOICEMAIL, 45),
    (CallOutcome.ANSWERED, 25),
    (CallOutcome.COMPLETED, 15),
    (CallOutcome.ABANDONED, 12),
    (CallOutcome.TRANSFERRED, 3),
)
FLAGS = tuple(Vulnerability)
NAMES = ("陈伯", "李姨", "王婆婆", "张先生", "刘阿姨", "黄伯", "连姐", "何奶奶", "周女士", "吴叔")


@dataclass
class ActivityResult:
    calls: int = 0
    voicemails: int = 0
    tickets: int = 0
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return "already present, left as it is"
        return f"{self.calls} calls, {self.voicemails} voicemails, {self.tickets} tickets"


def add_demo_activity(
    session: Session,
    stations: Sequence[Station],
    now: datetime,
    days: int = 30,
    calls_per_day: float = 2.0,
    seed: int = 20221201,
) -> ActivityResult:
    """Calls, voicemails and tickets over the ``days`` before ``now`` at ``stations``."""
    if session.scalar(select(Call.id).where(Call.call_sid.like(f"{CALL_PREFIX}%")).limit(1)):
        return ActivityResult(skipped=True)
    rng = random.Random(seed)
    result = ActivityResult()
    serial = 0
    by_code = {s.code: s for s in stations}
    for station in stations:
        zone = ZoneInfo(station.timezone)
        callers = _callers(session, rng, station, count=max(4, int(days * calls_per_day / 3)))
        open_ticket: dict[int, Ticket] = {}
        for day in range(days, -1, -1):
            local_day = (now.astimezone(zone) - timedelta(days=day)).date()
            for _ in range(_poisson(rng, calls_per_day)):
                serial += 1
                hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
                local = datetime(
                    local_day.year,
                    local_day.month,
                    local_day.day,
                    hour,
                    rng.randrange(60),
                    rng.randrange(60),
                    tzinfo=zone,
                )
                started = local.astimezone(now.tzinfo)
                if started >= now:
                    continue
                caller = rng.choice(callers)
                outcome = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
                need = rng.choice(NEEDS)
                call = Call(
                    call_sid=f"{CALL_PREFIX}{serial:026d}",
                    direction=CallDirection.INBOUND,
                    station_id=station.id,
                    caller_id=caller.id,
                    from_number=caller.phone_number,
                    to_number=station.hotline_numbers[0].number if station.hotline_numbers else "",
                    language="zh",
                    chosen_need=need,
                    started_at=started,
                    ended_at=started + timedelta(seconds=rng.randrange(20, 240)),
                    status="completed",
                    outcome=outcome,
                )
                session.add(call)
                result.calls += 1
                if outcome is not CallOutcome.VOICEMAIL:
                    continue
                session.flush()
                ticket = open_ticket.get(caller.id)
                if ticket is None:
                    ticket = _open_ticket(session, station, caller, need, started)
                    open_ticket[caller.id] = ticket
                    result.tickets += 1
                _voicemail(session, rng, call, ticket, need, started, now)
                _tag_need(session, ticket, need, caller)
                result.voicemails += 1
                if _progress(session, rng, ticket, started, now, by_code, station):
                    del open_ticket[caller.id]
        session.flush()
    _withheld_calls(session, by_code.get(WITHHELD_STATION), now, result)
    _refer_one_out(session, by_code.get(WITHHELD_STATION), by_code.get(REFERRED_TO), now, result)
    _unassigned_call(session, now, result)
    _attribute_to_demo_workers(session)
    return result


def _unassigned_call(session: Session, now: datetime, result: ActivityResult) -> None:
    """A call to a number no station owns: the city admin's unassigned queue."""
    started = now - timedelta(hours=5)
    call = Call(
        call_sid=f"{CALL_PREFIX}unassigned{0:016d}",
        direction=CallDirection.INBOUND,
        from_number="+8613900000099",
        to_number="+862000000000",
        language="zh",
        chosen_need="medicine",
        started_at=started,
        ended_at=started + timedelta(seconds=60),
        status="completed",
        outcome=CallOutcome.VOICEMAIL,
    )
    session.add(call)
    session.flush()
    caller = Caller(phone_number=call.from_number, name="林伯")
    session.add(caller)
    session.flush()
    call.caller_id = caller.id
    ticket = Ticket(
        caller_id=caller.id,
        caller_number=call.from_number,
        opened_at=started,
        due_at=started + timedelta(days=1),
    )
    session.add(ticket)
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id, at=started, kind=TicketEventKind.OPENED))
    _voicemail(session, random.Random(7), call, ticket, "medicine", started, now)
    _tag_need(session, ticket, "medicine", caller)
    result.calls, result.voicemails, result.tickets = (
        result.calls + 1,
        result.voicemails + 1,
        result.tickets + 1,
    )


REFERRED_TO = "haizhu-fengyang"  # 南洲街 hands one case to 凤阳街: its "referred out" view


def _has_open_case(session: Session, station: Station, ticket: Ticket) -> bool:
    return (
        ticket.caller_id is not None
        and session.scalar(
            select(Ticket.id).where(
                Ticket.station_id == station.id,
                Ticket.caller_id == ticket.caller_id,
                Ticket.status != TicketStatus.RESOLVED,
            )
        )
        is not None
    )


def _refer_one_out(
    session: Session,
    sender: Station | None,
    target: Station | None,
    now: datetime,
    result: ActivityResult,
) -> None:
    """The sender's oldest open case with a known caller goes to ``target``, unreferred."""
    if sender is None or target is None:
        return
    candidates = session.scalars(
        select(Ticket)
        .where(
            Ticket.station_id == sender.id,
            Ticket.status != TicketStatus.RESOLVED,
            Ticket.caller_id.is_not(None),
        )
        .order_by(Ticket.opened_at)
    )
    for ticket in candidates:
        if not _has_open_case(session, target, ticket):
            break
    else:  # a short demo (--days) may have none: a case a worker logged for a resident
        at = now - timedelta(hours=30)
        ticket = logged_case(session, sender, REFERRED_RESIDENT, at, REFERRED_NOTE, ("food",))
        result.tickets += 1
    ticket.referred_from_station_id, ticket.station_id = sender.id, target.id
    ticket.assignee_id = None
    # Sent yesterday and not yet answered: late, for 南洲街, 凤阳街 and 海珠区 to see.
    at = max(ticket.opened_at, now - timedelta(hours=26))
    _referral_row(session, ticket, sender, target, at, "居民住在凤阳街", answered=None)
    data = {"from_station": sender.code, "to_station": target.code}
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=at,
            kind=TicketEventKind.REFERRED,
            note="居民住在凤阳街",
            data=data,
        )
    )


WITHHELD_STATION = "haizhu-nanzhou"  # where the demo workers sign in
WITHHELD_NUMBER = "+266696687"  # Twilio's placeholder for a caller who hid their number


def _withheld_calls(
    session: Session, station: Station | None, now: datetime, result: ActivityResult
) -> None:
    """Two strangers who hid their numbers, an hour apart: two cases, never one caller."""
    if station is None:
        return
    for index, (hours, need) in enumerate(((3, "food"), (2, "medicine"))):
        started = now - timedelta(hours=hours)
        call = Call(
            call_sid=f"{CALL_PREFIX}withheld{index:018d}",
            direction=CallDirection.INBOUND,
            station_id=station.id,
            from_number=WITHHELD_NUMBER,
            to_number=station.hotline_numbers[0].number if station.hotline_numbers else "",
            language="zh",
            chosen_need=need,
            started_at=started,
            ended_at=started + timedelta(seconds=50),
            status="completed",
            outcome=CallOutcome.VOICEMAIL,
        )
        session.add(call)
        session.flush()
        ticket = Ticket(
            station_id=station.id,
            caller_number=WITHHELD_NUMBER,
            source=TicketSource.VOICEMAIL,
            priority=2,
            opened_at=started,
            due_at=started + timedelta(minutes=station.sla_normal_minutes),
        )
        session.add(ticket)
        session.flush()
        session.add(TicketEvent(ticket_id=ticket.id, at=started, kind=TicketEventKind.OPENED))
        _voicemail(session, random.Random(index), call, ticket, need, started, now)
        _tag_need(session, ticket, need, None)
        result.calls, result.voicemails, result.tickets = (
            result.calls + 1,
            result.voicemails + 1,
            result.tickets + 1,
        )


# More calls by day, some all night: the load of a 24-hour line in a lockdown.
_HOUR_WEIGHTS = [2, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 8, 8, 9, 9, 8, 8, 7, 7, 6, 5, 4, 3]


def _poisson(rng: random.Random, mean: float) -> int:
    count, threshold, product = 0, pow(2.718281828, -mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _callers(session: Session, rng: random.Random, station: Station, count: int) -> list[Caller]:
    callers = []
    for index in range(count):
        number = f"+86139{station.id:04d}{index:04d}"
        caller = session.scalar(select(Caller).where(Caller.phone_number == number))
        if caller is None:
            caller = Caller(phone_number=number, name=rng.choice(NAMES), home_station_id=station.id)
            if rng.random() < 0.35:
                caller.vulnerabilities = [CallerVulnerability(flag=rng.choice(FLAGS))]
            session.add(caller)
        callers.append(caller)
    session.flush()
    return callers


def _open_ticket(
    session: Session, station: Station, caller: Caller, need: str, at: datetime
) -> Ticket:
    urgent = need == "medical"
    minutes = station.sla_urgent_minutes if urgent else station.sla_normal_minutes
    ticket = Ticket(
        station_id=station.id,
        caller_id=caller.id,
        caller_number=caller.phone_number,
        source=TicketSource.VOICEMAIL,
        priority=0 if urgent else 2,
        opened_at=at,
        due_at=at + timedelta(minutes=minutes),
    )
    session.add(ticket)
    session.flush()
    session.add(TicketEvent(ticket_id=ticket.id, at=at, kind=TicketEventKind.OPENED))
    return ticket


def _voicemail(
    session: Session,
    rng: random.Random,
    call: Call,
    ticket: Ticket,
    need: str,
    at: datetime,
    now: datetime,
) -> None:
    text = rng.choice(SAYINGS[need])
    recent = now - at < timedelta(minutes=10)
    voicemail = Voicemail(
        recording_sid=f"{RECORDING_PREFIX}{call.call_sid[len(CALL_PREFIX) :]}",
        call_id=call.id,
        station_id=ticket.station_id,
        caller_id=ticket.caller_id,
        ticket_id=ticket.id,
        duration_seconds=len(text) // 3 + 4,
        language="zh",
        menu_tags=[need],
        state=VoicemailState.FETCHED if recent else VoicemailState.TRANSCRIBED,
        created_at=at,
        transcribed_at=None if recent else at + timedelta(minutes=1),
    )
    if not recent:
        voicemail.transcript = Transcript(
            text=text,
            raw_text=" ".join(text),
            language="zh",
            model="demo",
            words=[
                {
                    "word": ch,
                    "start": round(i * 0.3, 2),
                    "end": round(i * 0.3 + 0.28, 2),
                    "conf": round(rng.uniform(0.55, 1.0), 2),
                }
                for i, ch in enumerate(text)
            ],
            confidence=0.85,
            audio_seconds=len(text) * 0.3,
            decode_seconds=0.4,
            created_at=at + timedelta(minutes=1),
        )
    session.add(voicemail)


def _progress(
    session: Session,
    rng: random.Random,
    ticket: Ticket,
    opened: datetime,
    now: datetime,
    stations: dict[str, Station],
    station: Station,
) -> bool:
    """Call back, maybe refer, maybe resolve, as far as ``now`` allows; True when resolved."""
    callback = opened + timedelta(minutes=rng.choice((8, 25, 50, 90, 180, 400, 900, 2000)))
    if callback >= now or ticket.first_callback_at is not None:
        return False
    ticket.first_callback_at = callback
    ticket.status = TicketStatus.IN_PROGRESS
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=callback,
            kind=TicketEventKind.CALLBACK_ATTEMPT,
            data={"outcome": "reached"},
        )
    )
    if rng.random() < 0.05 and len(stations) > 1:
        target = rng.choice([s for s in stations.values() if s.id != station.id])
        if _has_open_case(session, target, ticket):
            return False  # one open case per caller per station: keep it here
        ticket.referred_from_station_id = station.id
        ticket.station_id = target.id
        # Not drawn from ``rng``: the rest of the month stays as it was before referrals
        # had rows of their own.
        answered = callback + timedelta(minutes=(10, 45, 120, 300)[ticket.id % 4])
        answered_by_now = answered if answered < now else None
        _referral_row(
            session, ticket, station, target, callback, "居民住在对方辖区", answered_by_now
        )
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                at=callback,
                kind=TicketEventKind.REFERRED,
                note="居民住在对方辖区",
                data={"from_station": station.code, "to_station": target.code},
            )
        )
        return True  # the other station's case now
    resolved = callback + timedelta(minutes=rng.choice((30, 120, 600, 1500, 3000)))
    if resolved >= now or rng.random() < 0.15:
        return False
    category = rng.choice(list(ResolutionCategory))
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = resolved
    ticket.resolution_category = category
    ticket.problems_solved = rng.choice((1, 1, 1, 2, 3))
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=resolved,
            kind=TicketEventKind.RESOLVED,
            data={"category": category.value, "problems": ticket.problems_solved},
        )
    )
    return True


REFERRED_RESIDENT = ("梁婆婆", "+8613900990009")
REFERRED_NOTE = "居民来电：刚搬到凤阳街，需要送餐（社工记录）"


def logged_case(
    session: Session,
    station: Station,
    resident: tuple[str, str],
    at: datetime,
    note: str,
    tags: tuple[str, ...],
) -> Ticket:
    """A case a worker opened for a resident (name, number) who phoned (no voicemail)."""
    name, number = resident
    caller = session.scalar(select(Caller).where(Caller.phone_number == number))
    if caller is None:
        caller = Caller(phone_number=number, name=name, home_station_id=station.id)
        session.add(caller)
        session.flush()
    return open_or_merge_ticket(
        session,
        station=station,
        caller=caller,
        caller_number=number,
        source=TicketSource.MANUAL,
        tags=tags,
        now=at,
        note=note,
    )


def _referral_row(
    session: Session,
    ticket: Ticket,
    sender: Station,
    target: Station,
    at: datetime,
    reason: str,
    answered: datetime | None,
) -> None:
    """The referral's own row: accepted at ``answered``, or still waiting (None)."""
    session.add(
        Referral(
            ticket_id=ticket.id,
            from_station_id=sender.id,
            to_station_id=target.id,
            state=ReferralState.PENDING if answered is None else ReferralState.ACCEPTED,
            reason=reason,
            sent_at=at,
            accept_due_at=at + timedelta(minutes=sla_minutes(target, Priority(ticket.priority))),
            answered_at=answered,
        )
    )


def _has_open_case(session: Session, station: Station, ticket: Ticket) -> bool:
    """Whether the caller already has an open case at ``station`` (from an earlier referral)."""
    return (
        ticket.caller_id is not None
        and session.scalar(
            select(Ticket.id)
            .where(
                Ticket.station_id == station.id,
                Ticket.caller_id == ticket.caller_id,
                Ticket.status != TicketStatus.RESOLVED,
            )
            .limit(1)
        )
        is not None
    )


def _tag_need(session: Session, ticket: Ticket, need: str, caller: Caller | None) -> None:
    """As a real voicemail does (ivr.voicemails.ingest): the menu choice's need tag and
    the caller's vulnerability flags."""
    flags = sorted(v.flag.value for v in caller.vulnerabilities) if caller is not None else []
    known: dict[str, Tag] = session.info.setdefault("demo_tags", {})
    missing = [code for code in (need, *flags) if code not in known]
    known.update((tag.code, tag) for tag in get_tags(session, missing))
    for tag in (known[code] for code in (need, *flags)):
        if tag not in ticket.tags:
            ticket.tags.append(tag)


# What a worker does, not the caller or the system: the trail names who did it.
_WORKER_KINDS = (
    TicketEventKind.CALLBACK_ATTEMPT,
    TicketEventKind.REFERRED,
    TicketEventKind.RESOLVED,
)


def _attribute_to_demo_workers(session: Session) -> None:
    """At a station with a demo worker (南洲街, 黄石街, 同德街), that worker made the
    call-backs, referrals and resolutions, so the demo's trails name someone."""
    session.flush()
    workers = session.execute(
        select(User.station_id, func.min(User.id))
        .where(User.role == Role.WORKER, User.station_id.is_not(None))
        .group_by(User.station_id)
    )
    for station_id, user_id in workers:
        home = func.coalesce(Ticket.referred_from_station_id, Ticket.station_id)
        session.execute(
            update(TicketEvent)
            .where(
                TicketEvent.actor_id.is_(None),
                TicketEvent.kind.in_(_WORKER_KINDS),
                TicketEvent.ticket_id.in_(select(Ticket.id).where(home == station_id)),
            )
            .values(actor_id=user_id, station_id=station_id)
            .execution_options(synchronize_session=False)
        )
