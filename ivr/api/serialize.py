"""Rows to JSON-ready dicts, in the shapes ``openapi.py`` documents.

Callers' numbers are masked unless the token's user may call them back (``reveal``). The
number a click-to-call rang is a worker's private phone: shown only to that worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ivr.phone import mask
from models import (
    Call,
    CallDirection,
    CallEvent,
    Priority,
    Referral,
    ReferralState,
    Station,
    Ticket,
    TicketEvent,
    TicketStatus,
    Transcript,
    TranscriptCorrection,
    Voicemail,
)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, e.g. ``2024-05-01T08:30:00.250000Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def number(value: str, reveal: bool) -> str:
    return value if reveal or not value else mask(value)


def priority_name(value: int) -> str:
    try:
        return Priority(value).name.lower()
    except ValueError:
        return "normal"


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    return ticket.status is not TicketStatus.RESOLVED and ticket.due_at < now


def referral_brief(row: Referral | None, now: datetime) -> dict[str, Any] | None:
    """Where the ticket's newest referral stands (null: never referred)."""
    if row is None:
        return None
    return {
        "id": row.id,
        "state": row.state.value,
        "from_station": row.from_station.code if row.from_station else None,
        "to_station": row.to_station.code,
        "sent_at": iso(row.sent_at),
        "accept_due_at": iso(row.accept_due_at),
        "answer_overdue": row.state is ReferralState.PENDING and row.accept_due_at < now,
    }


def referral(row: Referral, now: datetime) -> dict[str, Any]:
    """One referral with every step: who asked why, the answer, the outcome."""
    return {
        **(referral_brief(row, now) or {}),
        "reason": row.reason,
        "answered_at": iso(row.answered_at),
        "decline_reason": row.decline_reason or None,
        "resolved_at": iso(row.resolved_at),
        "outcome_category": row.outcome_category,
        "outcome_problems": row.outcome_problems if row.state is ReferralState.RESOLVED else None,
        "outcome_note": row.outcome_note or None,
    }


def ticket_summary(
    ticket: Ticket, reveal: bool, now: datetime, latest_referral: Referral | None = None
) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "station": ticket.station.code if ticket.station else None,
        "referred_from": ticket.referred_from.code if ticket.referred_from else None,
        "status": ticket.status.value,
        "priority": priority_name(ticket.priority),
        "source": ticket.source.value,
        "caller_number": number(ticket.caller_number, reveal),
        "caller_number_masked": not reveal and bool(ticket.caller_number),
        "tags": [tag.code for tag in ticket.tags],
        "assignee": ticket.assignee.username if ticket.assignee else None,
        "opened_at": iso(ticket.opened_at),
        "due_at": iso(ticket.due_at),
        "overdue": is_overdue(ticket, now),
        "first_callback_at": iso(ticket.first_callback_at),
        "resolved_at": iso(ticket.resolved_at),
        "resolution_category": (
            ticket.resolution_category.value if ticket.resolution_category else None
        ),
        "problems_solved": ticket.problems_solved,
        "version": ticket.version_id,
        "updated_at": iso(ticket.updated_at),
        "referral": referral_brief(latest_referral, now),
    }


def ticket_event(event: TicketEvent, actors: dict[int, str]) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": iso(event.at),
        "kind": event.kind.value,
        "actor": actors.get(event.actor_id) if event.actor_id else None,
        "note": event.note,
        "data": dict(event.data or {}),
    }


def voicemail_brief(voicemail: Voicemail) -> dict[str, Any]:
    return {
        "id": voicemail.id,
        "state": voicemail.state.value,
        "duration_seconds": voicemail.duration_seconds,
        "created_at": iso(voicemail.created_at),
    }


def voicemail(row: Voicemail, station_code: str | None) -> dict[str, Any]:
    return {
        **voicemail_brief(row),
        "recording_sid": row.recording_sid,
        "call_id": row.call_id,
        "ticket_id": row.ticket_id,
        "station": station_code,
        "language": row.language,
        "menu_tags": list(row.menu_tags or []),
        "menu_priority": row.menu_priority,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "has_audio": bool(row.storage_path),
        "has_transcript": row.transcript is not None,
        "size_bytes": row.size_bytes,
        "sha256": row.sha256,
        "fetched_at": iso(row.fetched_at),
        "transcribed_at": iso(row.transcribed_at),
    }


def correction(row: TranscriptCorrection | None) -> dict[str, Any] | None:
    """A person's correction of a transcript, with the machine's error rate against it."""
    if row is None:
        return None
    return {
        "text": row.text,
        "words": list(row.words or []),
        "corrected_by": row.user.username if row.user else None,
        "corrected_at": iso(row.created_at),
        "corrections": len(row.transcript.corrections),
        "metric": row.metric,
        "machine_edits": row.machine_edits,
        "reference_length": row.reference_length,
        "machine_error_rate": (
            round(row.machine_edits / row.reference_length, 4) if row.reference_length else None
        ),
    }


def transcript(row: Transcript) -> dict[str, Any]:
    """The machine's transcript as it heard it, and the correction in force (or null)."""
    return {
        "voicemail_id": row.voicemail_id,
        "text": row.text,
        "raw_text": row.raw_text,
        "corrected_text": row.correction.text if row.correction else None,
        "correction": correction(row.correction),
        "words": list(row.words or []),
        "confidence": row.confidence,
        "language": row.language,
        "language_fallback": row.language_fallback,
        "model": row.model,
        "audio_seconds": row.audio_seconds,
        "decode_seconds": row.decode_seconds,
        "created_at": iso(row.created_at),
    }


def worker_phone_hidden(row: Call, viewer_phone: str | None) -> bool:
    """Whether ``row.to_number`` is someone else's private phone: a click-to-call rings
    the worker's own phone first, and only that worker (whose phone it is) may see it."""
    if row.direction is not CallDirection.CALLBACK or not row.to_number:
        return False
    return row.to_number != viewer_phone


def call(
    row: Call, codes: dict[int, str], reveal: bool, viewer_phone: str | None = None
) -> dict[str, Any]:
    """``viewer_phone``: the phone of the user asking, who may see their own number."""
    hide_to = worker_phone_hidden(row, viewer_phone)
    return {
        "id": row.id,
        "call_sid": row.call_sid,
        "direction": row.direction.value,
        "station": codes.get(row.station_id) if row.station_id else None,
        "from_number": number(row.from_number, reveal),
        "from_number_masked": not reveal and bool(row.from_number),
        "to_number": mask(row.to_number) if hide_to else row.to_number,
        "to_number_masked": hide_to,
        "language": row.language,
        "last_node": row.last_node,
        "chosen_need": row.chosen_need,
        "transferred_to": (
            codes.get(row.transferred_to_station_id) if row.transferred_to_station_id else None
        ),
        "started_at": iso(row.started_at),
        "ended_at": iso(row.ended_at),
        "duration_seconds": row.duration_seconds,
        "status": row.status,
        "outcome": row.outcome.value,
    }


def call_event(event: CallEvent, reveal: bool) -> dict[str, Any]:
    detail = dict(event.detail or {})
    if isinstance(detail.get("from"), str):  # the "incoming" step records the caller
        detail["from"] = number(detail["from"], reveal)
    return {
        "id": event.id,
        "at": iso(event.at),
        "kind": event.kind,
        "node": event.node,
        "digits": event.digits,
        "detail": detail,
    }


def station(row: Station) -> dict[str, Any]:
    district = row.district
    return {
        "code": row.code,
        "name_zh": row.name_zh,
        "name_en": row.name_en,
        "district": {
            "code": district.code,
            "name_zh": district.name_zh,
            "name_en": district.name_en,
        },
        "hotline_numbers": [h.number for h in row.hotline_numbers],
        "languages": list(row.languages or []),
        "timezone": row.timezone,
        "twenty_four_hours": row.twenty_four_hours,
        "opening_hours": dict(row.opening_hours or {}),
        "holidays": list(row.holidays or []),
        "sla_urgent_minutes": row.sla_urgent_minutes,
        "sla_normal_minutes": row.sla_normal_minutes,
        "ticket_on_abandon": row.ticket_on_abandon,
        "active": row.active,
    }
