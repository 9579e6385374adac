"""The text a voicemail's caller gets: "your message is received, we call back within
X hours", in the language they chose, from the hotline they rang.

It is planned in the transaction that records the voicemail (one row per ticket, so a
second voicemail on the same open ticket is not acknowledged again) and sent by a job.
"""

from __future__ import annotations

import math
import re
import string
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ivr.phone import identifies_caller
from models import OutboundMessage, OutboundState, Station, Ticket, Voicemail

KIND = "acknowledgement"
# A mainland mobile: +86, then 1[3-9] and nine digits. Landlines and service numbers
# cannot take a text; other countries' numbers are not ours to guess at.
_MOBILE = re.compile(r"\+861[3-9]\d{9}")
PLACEHOLDERS = frozenset({"station", "hours"})
MAX_TEXT_CHARS = 300
DEFAULT_TEXTS = {
    "zh": "您的留言已收到，{station}社工站会在 {hours} 小时内回电。",
    "yue": "你嘅留言已經收到，{station}社工站會喺 {hours} 個鐘內覆電。",
    "en": "We have received your message. {station} social-work station will call you "
    "back within {hours} hours.",
}


class TextInvalid(ValueError):
    """A station's wording that could not be sent; the message says why."""


def is_mobile(number: str | None) -> bool:
    return identifies_caller(number) and bool(_MOBILE.fullmatch(number or ""))


def placeholders(text: str) -> set[str]:
    """The ``{names}`` in ``text``; :class:`TextInvalid` if its braces do not parse."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise TextInvalid(str(exc)) from None


def wording(station: Station, language: str) -> str:
    texts = station.acknowledgement_texts or {}
    return texts.get(language) or DEFAULT_TEXTS.get(language) or DEFAULT_TEXTS["zh"]


def sla_hours(ticket: Ticket | None, station: Station) -> int:
    """Hours until the ticket is due (its priority's SLA), rounded up; at least 1."""
    if ticket is not None and ticket.due_at and ticket.opened_at:
        seconds = (ticket.due_at - ticket.opened_at).total_seconds()
    else:
        seconds = station.sla_normal_minutes * 60
    return max(1, math.ceil(seconds / 3600))


def render(station: Station, ticket: Ticket | None, language: str) -> str:
    name = station.name_en if language == "en" and station.name_en else station.name_zh
    values = {"station": name, "hours": str(sla_hours(ticket, station))}
    text = wording(station, language)
    try:
        return text.format_map(values)
    except (KeyError, ValueError, IndexError, AttributeError):
        # A wording saved before its check, or edited in the database: the built-in one.
        return DEFAULT_TEXTS.get(language, DEFAULT_TEXTS["zh"]).format_map(values)


def plan(
    session: Session, voicemail: Voicemail, caller_number: str, dialled: str, now: datetime
) -> int | None:
    """Queue the acknowledgement of a new voicemail's ticket, if the station sends them
    and the caller has a mobile; the new row's id, or None. The caller commits."""
    if voicemail.ticket_id is None or voicemail.station_id is None:
        return None
    station = session.get(Station, voicemail.station_id)
    if station is None or not station.acknowledge_by_sms or not is_mobile(caller_number):
        return None
    sender = dialled if any(h.number == dialled for h in station.hotline_numbers) else ""
    sender = sender or (station.hotline_numbers[0].number if station.hotline_numbers else "")
    if not sender:
        return None
    language = voicemail.language or (station.languages or ["zh"])[0]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return session.scalar(
        dialect.insert(OutboundMessage)
        .values(
            ticket_id=voicemail.ticket_id,
            station_id=station.id,
            kind=KIND,
            idempotency_key=f"{KIND}:ticket:{voicemail.ticket_id}",
            to_number=caller_number,
            from_number=sender,
            language=language,
            body="",
            state=OutboundState.QUEUED,
            attempts=0,
            last_error="",
            send_after=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(OutboundMessage.id)
    )


def for_ticket(session: Session, ticket_id: int) -> OutboundMessage | None:
    return session.scalar(
        select(OutboundMessage).where(
            OutboundMessage.ticket_id == ticket_id, OutboundMessage.kind == KIND
        )
    )
