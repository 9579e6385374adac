"""Voicemails: from Twilio's callbacks to a transcribed, tagged ticket. Never lost.

The row is the source of truth. A voicemail moves received → fetched → transcribed, or
ends as no_audio or failed with a reason; its ticket is opened the moment the recording
is first reported, so a worker can act on it even if everything after that breaks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.calls.steps import CallRow
from ivr.menus.document import VoicemailNode
from ivr.tickets.cases import open_or_merge_ticket, priority_from_name
from models import (
    Caller,
    Station,
    TicketSource,
    Voicemail,
    VoicemailState,
)

log = logging.getLogger(__name__)
NO_AUDIO_STATUSES = frozenset({"absent", "failed"})


@dataclass(frozen=True)
class RecordingReport:
    """What one of Twilio's two callbacks says about a recording."""

    recording_sid: str
    recording_url: str
    status: str  # RecordingStatus: completed, absent, failed; "" from the <Record> action
    duration: int | None
    language: str
    node: VoicemailNode | None  # the menu node that recorded it, if known


def _vulnerability_tags(caller: Caller | None) -> list[str]:
    return sorted(flag.value for flag in caller.flags) if caller is not None else []


def ingest(
    session: Session, call: CallRow, report: RecordingReport, now: datetime
) -> tuple[Voicemail, bool]:
    """The one Voicemail for this RecordingSid, created (with its ticket) on first report.

    Returns the voicemail and whether this report created it. The caller commits, then
    enqueues processing when created.
    """
    voicemail = session.scalar(
        select(Voicemail).where(Voicemail.recording_sid == report.recording_sid)
    )
    if voicemail is None:
        try:
            with session.begin_nested():
                voicemail = _create(session, call, report, now)
            return voicemail, True
        except IntegrityError:  # the other callback won the race
            voicemail = session.scalars(
                select(Voicemail).where(Voicemail.recording_sid == report.recording_sid)
            ).one()
    _complete(voicemail, report)
    return voicemail, False


def _create(session: Session, call: CallRow, report: RecordingReport, now: datetime) -> Voicemail:
    station_id = call.transferred_to_station_id or call.station_id
    station = session.get(Station, station_id) if station_id else None
    caller = session.get(Caller, call.caller_id) if call.caller_id else None
    node = report.node
    voicemail = Voicemail(
        recording_sid=report.recording_sid,
        call_id=call.id,
        station_id=station_id,
        caller_id=call.caller_id,
        recording_url=report.recording_url,
        duration_seconds=report.duration,
        language=report.language or None,
        menu_tags=list(node.tags) if node else [],
        menu_priority=node.priority if node else None,
        created_at=now,
    )
    if report.status in NO_AUDIO_STATUSES:
        voicemail.state = VoicemailState.NO_AUDIO
        voicemail.last_error = f"Twilio reported the recording {report.status}"
    session.add(voicemail)
    session.flush()
    need = [call.chosen_need] if call.chosen_need else []
    ticket = open_or_merge_ticket(
        session,
        station=station,
        caller=caller,
        caller_number=call.from_number,
        source=TicketSource.VOICEMAIL,
        tags=[*voicemail.menu_tags, *need, *_vulnerability_tags(caller)],
        priority=priority_from_name(voicemail.menu_priority),
        now=now,
        data={"voicemail_id": voicemail.id, "call_sid": call.call_sid},
    )
    voicemail.ticket_id = ticket.id
    return voicemail


def _complete(voicemail: Voicemail, report: RecordingReport) -> None:
    """A second callback may know what the first did not."""
    if not voicemail.recording_url and report.recording_url:
        voicemail.recording_url = report.recording_url
    if voicemail.duration_seconds is None and report.duration is not None:
        voicemail.duration_seconds = report.duration
    if voicemail.language is None and report.language:
        voicemail.language = report.language
    if report.status in NO_AUDIO_STATUSES and voicemail.state is VoicemailState.RECEIVED:
        voicemail.state = VoicemailState.NO_AUDIO
        voicemail.last_error = f"Twilio reported the recording {report.status}"
