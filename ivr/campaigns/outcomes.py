"""What came of a call to a campaign entry, and when to try again.

Reached, wrong number and needs help settle the entry (needs help opens, or adds to, the
resident's ticket with the chosen tags). No answer is tried again at another time of day:
the next of the morning, afternoon and evening windows on the station's clock that starts
at least four hours later and has not been tried yet; after three tries it is given up.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.campaigns import CampaignInvalid
from ivr.tickets.cases import open_or_merge_ticket
from ivr.tickets.tags import TagInvalid, normalise_tags
from models import (
    CampaignAttempt,
    CampaignEntry,
    CampaignOutcome,
    EntryState,
    Station,
    Ticket,
    TicketSource,
    User,
)

MAX_ATTEMPTS = 3
RETRY_GAP = timedelta(hours=4)
# Local start of each calling window: morning, afternoon, evening.
WINDOWS = (time(9, 30), time(14, 30), time(19, 0))
SETTLED = {
    CampaignOutcome.REACHED: EntryState.REACHED,
    CampaignOutcome.WRONG_NUMBER: EntryState.WRONG_NUMBER,
    CampaignOutcome.NEEDS_HELP: EntryState.NEEDS_HELP,
}


def window_of(moment: datetime, zone: ZoneInfo) -> int:
    """0 morning (before 14:00 local), 1 afternoon (before 18:30), 2 evening."""
    local = moment.astimezone(zone).time()
    if local < time(14, 0):
        return 0
    return 1 if local < time(18, 30) else 2


def next_try(tried_at: list[datetime], now: datetime, zone: ZoneInfo) -> datetime:
    """The start of the first untried window at least RETRY_GAP after ``now``."""
    used = {window_of(t, zone) for t in tried_at}
    earliest = now + RETRY_GAP
    day = earliest.astimezone(zone).date()
    for offset in range(3):
        for index, start in enumerate(WINDOWS):
            if index in used and len(used) < len(WINDOWS):
                continue
            moment = datetime.combine(day + timedelta(days=offset), start, zone)
            if moment >= earliest:
                return moment.astimezone(now.tzinfo)
    return earliest


def _zone(station: Station | None) -> ZoneInfo:
    return ZoneInfo(station.timezone if station is not None else "Asia/Shanghai")


def _open_attempt(entry: CampaignEntry, call_sid: str | None) -> CampaignAttempt | None:
    for attempt in reversed(entry.attempts_made):
        if attempt.dial_status == "rest-error":
            continue  # Twilio refused to place it: no call was made
        if attempt.outcome is None and (call_sid is None or attempt.call_sid == call_sid):
            return attempt
    return None


def record_outcome(
    session: Session,
    entry: CampaignEntry,
    worker: User | None,
    outcome: CampaignOutcome,
    now: datetime,
    *,
    note: str = "",
    tags: list[str] | None = None,
    call_sid: str | None = None,
) -> CampaignAttempt:
    """Settle or reschedule ``entry``; fills the ringing attempt of a click-to-call if any."""
    if entry.state is not EntryState.PENDING:
        raise CampaignInvalid(_l("这位居民已经有了结果"))
    if outcome is CampaignOutcome.NEEDS_HELP:
        # Checked before anything changes, so a bad tag leaves the entry as it was.
        tags = _checked_tags(tags or [])
    attempt = _open_attempt(entry, call_sid)
    if attempt is None:
        attempt = CampaignAttempt(entry=entry, at=now, call_sid=call_sid)
        session.add(attempt)
    attempt.outcome = outcome
    attempt.worker_id = worker.id if worker is not None else attempt.worker_id
    attempt.note = note.strip()[:2000]
    entry.attempts += 1
    entry.last_outcome = outcome
    entry.last_tried_at = attempt.at
    station = session.get(Station, entry.station_id) if entry.station_id else None
    if outcome in SETTLED:
        entry.state = SETTLED[outcome]
        entry.next_try_at = None
    elif entry.attempts >= MAX_ATTEMPTS:
        entry.state = EntryState.GAVE_UP
        entry.next_try_at = None
    else:
        tried = [a.at for a in entry.attempts_made if a.outcome is not None]
        entry.next_try_at = next_try(tried, now, _zone(station))
    if outcome is CampaignOutcome.NEEDS_HELP:
        entry.ticket_id = _open_ticket(session, entry, station, tags or [], note, now).id
    return attempt


def _checked_tags(tags: list[str]) -> list[str]:
    try:
        return normalise_tags(tags)
    except TagInvalid as exc:
        raise CampaignInvalid(str(exc)) from None


def _open_ticket(session, entry, station, tags, note, now) -> Ticket:  # type: ignore[no-untyped-def]
    return open_or_merge_ticket(
        session,
        station=station,
        caller=entry.caller,
        caller_number=entry.caller.phone_number,
        source=TicketSource.MANUAL,
        tags=tags,
        now=now,
        note=note,
        data={"campaign_id": entry.campaign_id, "campaign_entry_id": entry.id},
    )


def due_entries(session: Session, worker: User, campaign_id: int, now: datetime):  # type: ignore[no-untyped-def]
    """A worker's pending entries in a campaign, those due now first."""
    return session.scalars(
        select(CampaignEntry)
        .where(
            CampaignEntry.campaign_id == campaign_id,
            CampaignEntry.assignee_id == worker.id,
        )
        .order_by(
            (CampaignEntry.state != EntryState.PENDING),
            CampaignEntry.next_try_at.is_not(None),
            CampaignEntry.next_try_at,
            CampaignEntry.id,
        )
    )
