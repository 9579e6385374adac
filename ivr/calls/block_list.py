"""Block lists: numbers a station, or the whole city, takes no calls from.

A station admin keeps their station's list, the city admin the city's; each entry has a
reason and may expire. A blocked caller hears one short message and is hung up on (the
call is logged ``blocked``, no ticket, no voicemail). A block never silently stops a
worker calling someone back: the console only warns (see :func:`block_on`).

The call path reads the lists from the per-process station cache
(``ivr.stations.directory``): :class:`BlockSnapshot` holds every entry, loaded with one
query the first time a call step needs it after a change, and is dropped with the rest of
the cache when the ``call_path`` counter moves (triggers on ``blocked_numbers``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ivr.phone import PhoneInvalid, identifies_caller, normalise
from models import BlockedNumber, Priority, Ticket, User

MAX_REASON = 200
MAX_DAYS = 3650
# What an admin may choose for how long a block lasts; 0: until it is lifted.
DURATIONS = (1, 7, 30, 90, 365, 0)


class BlockInvalid(ValueError):
    """What was typed cannot be a block; ``field`` names the form field, the message says
    why in the interface language."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Block:
    """One entry as the call path and the console see it."""

    station_id: int | None  # None: the city's list
    number: str
    reason: str
    expires_at: datetime | None

    def in_force(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now

    def applies_to(self, station_id: int | None, now: datetime) -> bool:
        """Whether this entry refuses a call to ``station_id`` (None: no station's number)."""
        return self.in_force(now) and (self.station_id is None or self.station_id == station_id)

    @classmethod
    def of(cls, row: BlockedNumber) -> Block:
        return cls(row.station_id, row.number, row.reason, row.expires_at)


class BlockSnapshot:
    """Every block-list entry at one value of the call path's change counter."""

    def __init__(self, blocks: Iterable[Block]) -> None:
        self._by_number: dict[str, tuple[Block, ...]] = {}
        for block in blocks:
            self._by_number[block.number] = (*self._by_number.get(block.number, ()), block)

    @classmethod
    def load(cls, session: Session) -> BlockSnapshot:
        """Every entry (lists are short; expiry is checked at each call)."""
        return cls(Block.of(row) for row in session.scalars(select(BlockedNumber)))

    def block_on(self, number: str, station_id: int | None, now: datetime) -> Block | None:
        """The entry that refuses ``number``'s call to ``station_id`` at ``now``, if any:
        the station's own before the city's."""
        found = [b for b in self._by_number.get(number, ()) if b.applies_to(station_id, now)]
        found.sort(key=lambda b: b.station_id is None)
        return found[0] if found else None


def block_on(session: Session, number: str, station_id: int | None, now: datetime) -> Block | None:
    """Straight from the database, for the console: the entry blocking ``number`` at
    ``station_id`` (its own list or the city's) at ``now``."""
    rows = session.scalars(
        select(BlockedNumber).where(
            BlockedNumber.number == number,
            or_(BlockedNumber.station_id.is_(None), BlockedNumber.station_id == station_id),
        )
    )
    return BlockSnapshot(Block.of(row) for row in rows).block_on(number, station_id, now)


def entries(session: Session, station_id: int | None) -> list[BlockedNumber]:
    """A list as its admins see it: a station's (or the city's, None), newest first,
    expired entries included until someone removes them."""
    where = (
        BlockedNumber.station_id.is_(None)
        if station_id is None
        else BlockedNumber.station_id == station_id
    )
    return list(
        session.scalars(
            select(BlockedNumber).where(where).order_by(BlockedNumber.created_at.desc())
        )
    )


def read_entry(typed_number: str, typed_reason: str, typed_days: str) -> tuple[str, str, int]:
    """A block as typed into the form: (E.164 number, reason, days; 0 for no expiry)."""
    try:
        number = normalise(typed_number)
    except PhoneInvalid as exc:
        raise BlockInvalid("number", str(exc)) from exc
    if not identifies_caller(number):  # a withheld placeholder stands for everyone hidden
        raise BlockInvalid("number", str(_l("这是隐藏号码的占位号码，不能拉黑")))
    reason = " ".join(typed_reason.split())
    if not reason:
        raise BlockInvalid("reason", str(_l("请写明拉黑的原因")))
    if len(reason) > MAX_REASON:
        raise BlockInvalid("reason", str(_l("原因最多 %(n)d 个字", n=MAX_REASON)))
    days = typed_days.strip()
    if not (days.isascii() and days.isdigit()) or not 0 <= int(days) <= MAX_DAYS:
        raise BlockInvalid("days", str(_l("期限须为 0 到 %(n)d 天（0 为不过期）", n=MAX_DAYS)))
    return number, reason, int(days)


def add_entry(
    session: Session,
    station_id: int | None,
    typed: tuple[str, str, str],
    by: User,
    now: datetime,
) -> BlockedNumber:
    """Put a number on a list (the caller commits). A number already on the same list
    and still in force is refused; an expired entry for it is replaced."""
    number, reason, days = read_entry(*typed)
    for row in entries(session, station_id):
        if row.number != number:
            continue
        if Block.of(row).in_force(now):
            raise BlockInvalid("number", str(_l("这个号码已在名单上")))
        session.delete(row)
    row = BlockedNumber(
        station_id=station_id,
        number=number,
        reason=reason,
        expires_at=now + timedelta(days=days) if days else None,
        created_by_id=by.id,
        created_at=now,
    )
    session.add(row)
    return row


def entry_of(session: Session, station_id: int | None, entry_id: str) -> BlockedNumber | None:
    """An entry of this list by the id a form sent; None for another list's or junk."""
    if not (entry_id.isascii() and entry_id.isdigit()):
        return None
    row = session.get(BlockedNumber, int(entry_id))
    return row if row is not None and row.station_id == station_id else None


def call_back_warning(session: Session, ticket: Ticket, now: datetime) -> str | None:
    """What a worker about to call ``ticket``'s resident back should know: the number is
    blocked (maybe after the ticket was opened). A block never stops a call back; on an
    urgent ticket (urgent keywords, or marked urgent) the warning says to call all the same.
    """
    block = block_on(session, ticket.caller_number, ticket.station_id, now)
    if block is None:
        return None
    listed = _l("全市名单") if block.station_id is None else _l("本站名单")
    urgent = ticket.priority is Priority.URGENT or any(t.code == "urgent" for t in ticket.tags)
    if urgent:
        message = _l(
            "这个号码在拉黑名单上（%(list)s：%(reason)s），但这张工单含紧急内容："
            "拉黑不影响回电，请照常尽快回电。",
            list=listed,
            reason=block.reason,
        )
    else:
        message = _l(
            "这个号码在拉黑名单上（%(list)s：%(reason)s）：居民打进热线会被挂断，回电不受影响。",
            list=listed,
            reason=block.reason,
        )
    return str(message)
