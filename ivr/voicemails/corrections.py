"""A worker corrects a voicemail's transcript while listening to it.

The machine's transcript is never changed: a correction is a row of its own, with who and
when, and the words aligned to the recording (``transcription.correction``), so the player
still lights and seeks them. A later correction supersedes the current one; the rows and
the ticket's trail keep who changed what. The ticket's tags follow the corrected text: tags
the new text's keywords imply are added (urgency raises the priority, as on transcription);
keyword tags only the old text implied are removed, unless the menu or another voicemail
of the ticket implies them too.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ivr.tickets.actions import (
    TicketActionInvalid,
    TicketConflict,
    change_priority,
    record_event,
)
from ivr.tickets.cases import sla_minutes
from ivr.tickets.tags import get_tags
from ivr.voicemails.pipeline import keyword_rules
from models import (
    Priority,
    Ticket,
    TicketEventKind,
    Transcript,
    TranscriptCorrection,
    User,
    Voicemail,
)
from transcription.correction import aligned_words, machine_errors, metric
from transcription.tagging import URGENT, KeywordRule, tags_for

MAX_CORRECTION = 2000  # characters: several minutes of speech


def current_text(transcript: Transcript) -> str:
    """What the transcript says now: the correction in force, else the machine's text."""
    correction = transcript.correction
    return correction.text if correction is not None else transcript.text


def _tagged_text(transcript: Transcript) -> str:
    """The text tags are read from: the correction, else the recogniser's own output (with
    its word spaces, as the pipeline tagged it)."""
    correction = transcript.correction
    if correction is not None:
        return correction.text
    return transcript.raw_text or transcript.text


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").strip()
    if not text:
        raise TicketActionInvalid(_l("修改后的转写不能为空"))
    if len(text) > MAX_CORRECTION:
        raise TicketActionInvalid(_l("转写不能超过%(n)d字", n=MAX_CORRECTION))
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        raise TicketActionInvalid(_l("转写里有不可见的控制字符，请删除后再保存"))
    return text


def _transcript_of(ticket: Ticket, voicemail_id: int | None) -> tuple[Voicemail, Transcript]:
    voicemail = next((v for v in ticket.voicemails if v.id == voicemail_id), None)
    if voicemail is None:
        raise TicketActionInvalid(_l("这张工单没有这条留言"))
    transcript = voicemail.transcript
    if transcript is None:
        raise TicketActionInvalid(_l("这条留言还没有转写，不能修改"))
    if transcript.blanked_at is not None:
        raise TicketActionInvalid(_l("这条留言的转写已按保留期限删除，不能修改"))
    return voicemail, transcript


def correct_transcript(
    session: Session,
    ticket: Ticket,
    actor: User,
    voicemail_id: int | None,
    text: str,
    seen_correction: int | None,
    now: datetime,
) -> TranscriptCorrection:
    """Save ``text`` as the transcript of the ticket's voicemail ``voicemail_id``.

    ``seen_correction`` is the correction in force when the worker began (0: none): if
    someone corrected the transcript since, TicketConflict, and nothing is saved.
    """
    voicemail, transcript = _transcript_of(ticket, voicemail_id)
    text = _clean(text)
    previous = transcript.correction
    if seen_correction is not None and seen_correction != (previous.id if previous else 0):
        raise TicketConflict(_l("这条转写刚被其他人修改过，请看过后再保存"))
    if text == current_text(transcript):
        raise TicketActionInvalid(_l("转写没有改动"))
    before = _tagged_text(transcript)
    errors = machine_errors(transcript.raw_text or transcript.text, text)
    if previous is not None:
        previous.superseded_at = now
        session.flush()  # the one in force is unique: step it down before adding the next
    correction = TranscriptCorrection(
        text=text,
        words=aligned_words(transcript.words or [], text, transcript.audio_seconds),
        user_id=actor.id,
        created_at=now,
        machine_edits=errors.edits,
        reference_length=errors.length,
        metric=metric(transcript.language),
    )
    transcript.corrections.append(correction)
    session.flush()
    record_event(
        session,
        ticket,
        actor,
        TicketEventKind.TRANSCRIPT_CORRECTED,
        voicemail_id=voicemail.id,
        correction_id=correction.id,
        replaces=previous.id if previous else None,
        machine_edits=errors.edits,
        reference_length=errors.length,
        metric=correction.metric,
    )
    _retag(session, ticket, actor, voicemail, before, text)
    return correction


def _implied_elsewhere(ticket: Ticket, voicemail: Voicemail, rules: list[KeywordRule]) -> set[str]:
    """Tags something other than this voicemail's words implies: menus, other voicemails."""
    implied: set[str] = set()
    for other in ticket.voicemails:
        implied.update(other.menu_tags or [])
        if other.id != voicemail.id and other.transcript is not None:
            implied |= tags_for(_tagged_text(other.transcript), rules)
    return implied


def _retag(
    session: Session,
    ticket: Ticket,
    actor: User,
    voicemail: Voicemail,
    before: str,
    after: str,
) -> None:
    rules = keyword_rules(session, voicemail.station_id)
    old, new = tags_for(before, rules), tags_for(after, rules)
    have = {t.code for t in ticket.tags}
    added = sorted(new - have)
    removed = sorted((old - new) & have - _implied_elsewhere(ticket, voicemail, rules))
    if added:
        ticket.tags = [*ticket.tags, *get_tags(session, added)]
        record_event(
            session, ticket, actor, TicketEventKind.TAGGED, tags=added, because="transcript"
        )
    if removed:
        ticket.tags = [t for t in ticket.tags if t.code not in removed]
        record_event(
            session, ticket, actor, TicketEventKind.UNTAGGED, tags=removed, because="transcript"
        )
    if URGENT in added and ticket.priority > Priority.URGENT:
        # The clock runs from when the resident called, as on transcription.
        due = voicemail.created_at + timedelta(minutes=sla_minutes(ticket.station, Priority.URGENT))
        change_priority(session, ticket, actor, Priority.URGENT, due)
