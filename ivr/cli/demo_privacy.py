"""The demo's privacy pieces: retention set at a station and a district, so the settings
tab shows where each period comes from, and one resident (陈阿婆, +8613700000001) with a
closed case and a real audio file, to try a resident's request on."""

from __future__ import annotations

import io
import math
import struct
import wave
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.privacy.policies import policy_row, save_policy, scope_key
from ivr.storage import Storage
from ivr.tickets.tags import get_tags
from ivr.voicemails.recordings import store_recording
from models import (
    Call,
    Caller,
    CallerVulnerability,
    CallOutcome,
    Station,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    Transcript,
    Voicemail,
    VoicemailState,
    Vulnerability,
)

DEMO_RESIDENT = "+8613700000001"
STATION = "haizhu-nanzhou"
SAYING = "我是陈阿婆，家里没有米了，腿脚不方便，请帮我送一点。"


def _tone_wav(seconds: float = 3.0, rate: int = 8000) -> bytes:
    """A short telephone-quality WAV: two tones, like a voice's rise and fall."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        t = i / rate
        level = 0.3 * math.sin(math.pi * t / seconds)
        sample = level * (math.sin(2 * math.pi * 330 * t) + 0.5 * math.sin(2 * math.pi * 495 * t))
        frames += struct.pack("<h", int(sample * 20000))
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(bytes(frames))
    return out.getvalue()


def add_privacy_demo(session: Session, storage: Storage, now: datetime) -> str:
    station = session.scalar(select(Station).where(Station.code == STATION))
    if station is None:
        return "privacy: no demo station"
    if policy_row(session, scope_key(station_id=station.id)) is None:
        save_policy(
            session,
            {"recordings_days": 180, "transcripts_days": None, "caller_details_days": None},
            None,
            station_id=station.id,
        )
    if policy_row(session, scope_key(district_id=station.district_id)) is None:
        save_policy(
            session,
            {"recordings_days": None, "transcripts_days": 180, "caller_details_days": 365},
            None,
            district_id=station.district_id,
        )
    if session.scalar(select(Caller.id).where(Caller.phone_number == DEMO_RESIDENT)):
        return f"privacy: retention set at {STATION}; resident {DEMO_RESIDENT} already there"
    _add_resident(session, storage, station, now)
    return f"privacy: retention set at {STATION}; try a resident's request on {DEMO_RESIDENT}"


def _add_resident(session: Session, storage: Storage, station: Station, now: datetime) -> None:
    called = now - timedelta(days=12)
    caller = Caller(
        phone_number=DEMO_RESIDENT,
        name="陈阿婆",
        notes="独居，腿脚不便",
        home_station_id=station.id,
    )
    caller.vulnerabilities = [CallerVulnerability(flag=Vulnerability.LONE_ELDERLY)]
    session.add(caller)
    session.flush()
    call = Call(
        call_sid="CAprivacydemo0000000000000000001",
        station_id=station.id,
        caller_id=caller.id,
        from_number=DEMO_RESIDENT,
        to_number=station.hotline_numbers[0].number if station.hotline_numbers else "",
        started_at=called,
        ended_at=called + timedelta(minutes=1),
        duration_seconds=60,
        status="completed",
        outcome=CallOutcome.VOICEMAIL,
        chosen_need="food",
    )
    ticket = Ticket(
        station_id=station.id,
        caller_id=caller.id,
        caller_number=DEMO_RESIDENT,
        opened_at=called,
        due_at=called + timedelta(days=1),
        first_callback_at=called + timedelta(hours=2),
        resolved_at=called + timedelta(days=1),
        status=TicketStatus.RESOLVED,
        problems_solved=1,
    )
    # The menu choice's need and the caller's flags, as a real voicemail's ticket has.
    ticket.tags = get_tags(session, ["food", *sorted(f.value for f in caller.flags)])
    session.add_all([call, ticket])
    session.flush()
    session.add_all(
        [
            TicketEvent(ticket_id=ticket.id, at=called, kind=TicketEventKind.OPENED),
            TicketEvent(
                ticket_id=ticket.id,
                at=called + timedelta(days=1),
                kind=TicketEventKind.RESOLVED,
                note="已送米上门",
            ),
        ]
    )
    voicemail = Voicemail(
        recording_sid="REprivacydemo0000000000000000001",
        call_id=call.id,
        station_id=station.id,
        caller_id=caller.id,
        ticket_id=ticket.id,
        duration_seconds=3,
        language="zh",
        menu_tags=["food"],
        state=VoicemailState.TRANSCRIBED,
        created_at=called,
        transcribed_at=called + timedelta(minutes=1),
    )
    session.add(voicemail)
    # Committed before the audio is stored: the database backend writes it on a connection
    # of its own, which must not wait for this transaction's write lock (SQLite).
    session.commit()
    stored = store_recording(storage, station.code, voicemail.id, _tone_wav(), called)
    voicemail.storage_path, voicemail.sha256, voicemail.size_bytes = (
        stored.path,
        stored.sha256,
        stored.size,
    )
    voicemail.content_type, voicemail.fetched_at = "audio/x-wav", called
    voicemail.transcript = Transcript(
        text=SAYING,
        raw_text=" ".join(SAYING),
        language="zh",
        model="demo",
        words=[
            {"word": ch, "start": round(i * 0.11, 2), "end": round(i * 0.11 + 0.1, 2), "conf": 0.9}
            for i, ch in enumerate(SAYING)
        ],
        confidence=0.9,
        audio_seconds=3.0,
        decode_seconds=0.5,
        created_at=called,
    )
