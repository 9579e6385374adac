"""Corrected transcripts in the demo, so the ticket page and the statistics show them.

At 南洲街, one in three of the demo's transcripts gets a typical recogniser mistake (a
homophone: 胰岛素 heard as 一倒数, 核酸 as 和算 …) in its machine text, and nanzhou-worker
corrects it back to what the resident said (which the demo's audio speaks), through the
same service the ticket page uses: the correction, its aligned words, the retagging and
the trail. Done once: a station that has corrections already is left alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.voicemails.corrections import correct_transcript
from models import Station, Ticket, Transcript, TranscriptCorrection, User, Voicemail

STATION = "haizhu-nanzhou"
WORKER = "nanzhou-worker"
EVERY = 3
# What the resident said → what a recogniser might have heard (same length, so the words'
# times stay as they are).
MISHEARD = {
    "胰岛素": "一倒数",
    "降压药": "将压要",
    "核酸": "和算",
    "隔离": "格力",
    "透析": "头戏",
    "发烧": "发稍",
    "害怕": "还怕",
    "睡不着": "水不着",
    "蔬菜": "书菜",
    "米和油": "迷和有",
}


def _mishear(transcript: Transcript) -> bool:
    """Put a recogniser's mistake into the demo's machine text; False if none fits."""
    said = next((k for k in MISHEARD if k in transcript.text), None)
    if said is None:
        return False
    heard = MISHEARD[said]
    transcript.text = transcript.text.replace(said, heard, 1)
    transcript.raw_text = transcript.raw_text.replace(" ".join(said), " ".join(heard), 1)
    words = [dict(w) for w in transcript.words or []]
    single = [i for i, w in enumerate(words) if len(str(w.get("word", ""))) == 1]
    joined = "".join(words[i]["word"] for i in single)
    at = joined.find(said)
    if at >= 0:
        for offset, char in enumerate(heard):
            word = words[single[at + offset]]
            word["word"], word["conf"] = char, 0.45
    transcript.words = words
    return True


def add_demo_corrections(session: Session, now: datetime) -> str:
    station = session.scalar(select(Station).where(Station.code == STATION))
    worker = session.scalar(select(User).where(User.username == WORKER))
    if station is None or worker is None:
        return "none made: no demo station or worker"
    done = session.scalar(
        select(TranscriptCorrection.id)
        .join(Transcript, Transcript.id == TranscriptCorrection.transcript_id)
        .join(Voicemail, Voicemail.id == Transcript.voicemail_id)
        .where(Voicemail.station_id == station.id)
        .limit(1)
    )
    if done is not None:
        return "already there"
    voicemails = list(
        session.scalars(
            select(Voicemail)
            .join(Transcript, Transcript.voicemail_id == Voicemail.id)
            .join(Ticket, Ticket.id == Voicemail.ticket_id)
            .where(Voicemail.station_id == station.id, Ticket.station_id == station.id)
            .order_by(Voicemail.id)
        )
    )
    made = 0
    for voicemail in voicemails[::EVERY]:
        transcript = voicemail.transcript
        if transcript is None or transcript.blanked_at is not None:
            continue
        said = transcript.text
        if not _mishear(transcript):
            continue
        session.flush()
        ticket = session.get(Ticket, voicemail.ticket_id)
        correct_transcript(session, ticket, worker, voicemail.id, said, 0, now)
        made += 1
    session.commit()
    return f"{made} transcripts at {station.name_zh} corrected by {WORKER}"
