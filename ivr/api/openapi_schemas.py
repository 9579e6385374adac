"""OpenAPI ``components/schemas``: the shape of every body the API sends or accepts."""

from __future__ import annotations

from typing import Any

from ivr.stats.report import CATEGORIES as STATS_CATEGORIES
from ivr.stats.report import VULNERABILITIES as STATS_VULNERABILITIES
from ivr.tickets.actions import MAX_NOTE, MAX_TAGS
from models import (
    CallDirection,
    CallOutcome,
    Priority,
    ReferralState,
    ResolutionCategory,
    TicketEventKind,
    TicketSource,
    TicketStatus,
    VoicemailState,
)

Schema = dict[str, Any]
# A catalogue code (food, medical …) or a free-text tag in normal form (see ivr.tickets.tags).
TAG = {
    "type": "string",
    "minLength": 1,
    "maxLength": 32,
    "description": "A catalogue code (food, medicine …) or free text such as 买菜; "
    "stored NFKC-normalised, trimmed, spaces collapsed, case-folded.",
}
STATION_PATTERN = "^[a-z0-9][a-z0-9-]{0,63}$"
USERNAME_PATTERN = "^[A-Za-z0-9_.@-]{2,64}$"
NO_NUL = "^[^\\u0000]*$"
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
MAX_ID = 2**31 - 1


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def values(enum_cls: Any) -> list[str]:
    return [member.value for member in enum_cls]


def string(*, nullable: bool = False, fmt: str | None = None, **extra: Any) -> Schema:
    schema: Schema = {"type": "string", **extra}
    if fmt:
        schema["format"] = fmt
    if nullable:
        schema["nullable"] = True
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


def moment(nullable: bool = False) -> Schema:
    return string(nullable=nullable, fmt="date-time")


def integer(nullable: bool = False, **extra: Any) -> Schema:
    schema: Schema = {"type": "integer", **extra}
    if nullable:
        schema["nullable"] = True
    return schema


def obj(properties: dict[str, Schema], description: str = "") -> Schema:
    schema: Schema = {"type": "object", "required": sorted(properties), "properties": properties}
    if description:
        schema["description"] = description
    return schema


def page_of(item: str) -> Schema:
    return obj(
        {
            "items": {"type": "array", "items": ref(item)},
            "next_cursor": string(
                nullable=True, description="Pass as `cursor` for the next page; null at the end."
            ),
        }
    )


REFERRAL_FIELDS: dict[str, Schema] = {
    "id": integer(minimum=1),
    "state": string(
        enum=values(ReferralState),
        description="`pending` (waiting for the receiver), `accepted`, `declined` (the "
        "ticket went back to the sender), `resolved` (the receiver resolved it).",
    ),
    "from_station": string(nullable=True, description="Null: from the unassigned queue."),
    "to_station": string(),
    "sent_at": moment(),
    "accept_due_at": string(
        fmt="date-time",
        description="The receiver's answer is due by then (its time limit for the priority).",
    ),
    "answer_overdue": {"type": "boolean", "description": "Pending past `accept_due_at`."},
}
REFERRAL_BRIEF: Schema = {
    **obj(REFERRAL_FIELDS, "The ticket's newest referral; null if never referred."),
    "nullable": True,
}
REFERRAL = obj(
    {
        **REFERRAL_FIELDS,
        "reason": string(),
        "answered_at": moment(nullable=True),
        "decline_reason": string(nullable=True),
        "resolved_at": moment(nullable=True),
        "outcome_category": string(nullable=True, enum=values(ResolutionCategory)),
        "outcome_problems": integer(nullable=True, minimum=0),
        "outcome_note": string(nullable=True),
    },
    "One referral of a ticket, with the receiver's answer and outcome.",
)
REFERRAL_CREATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["station", "reason"],
    "properties": {
        "station": string(pattern=STATION_PATTERN, description="The receiving station's code."),
        "reason": string(minLength=1, maxLength=MAX_NOTE, pattern=NOT_BLANK),
        "expected_version": integer(minimum=1, maximum=MAX_ID),
    },
}
REFERRAL_ACCEPT: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"expected_version": integer(minimum=1, maximum=MAX_ID)},
}
REFERRAL_DECLINE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["reason"],
    "properties": {
        "reason": string(minLength=1, maxLength=MAX_NOTE, pattern=NOT_BLANK),
        "expected_version": integer(minimum=1, maximum=MAX_ID),
    },
}
TICKET = obj(
    {
        "id": integer(minimum=1),
        "station": string(nullable=True, description="Station code; null: unassigned queue."),
        "referred_from": string(nullable=True),
        "status": string(enum=values(TicketStatus)),
        "priority": string(enum=[p.name.lower() for p in Priority]),
        "source": string(enum=values(TicketSource)),
        "caller_number": string(description="E.164; masked unless assigned to you."),
        "caller_number_masked": {"type": "boolean"},
        "tags": {"type": "array", "items": TAG},
        "assignee": string(nullable=True, description="Username."),
        "opened_at": moment(),
        "due_at": moment(),
        "overdue": {"type": "boolean"},
        "first_callback_at": moment(nullable=True),
        "resolved_at": moment(nullable=True),
        "resolution_category": string(nullable=True, enum=values(ResolutionCategory)),
        "problems_solved": integer(minimum=0),
        "version": integer(minimum=1, description="Send back as `expected_version`."),
        "updated_at": moment(),
        "referral": REFERRAL_BRIEF,
    },
    "A call-back ticket. Sorted in lists by (priority, due_at, id).",
)
TICKET_EVENT = obj(
    {
        "id": integer(minimum=1),
        "at": moment(),
        "kind": string(enum=values(TicketEventKind)),
        "actor": string(nullable=True, description="Username; null for the system."),
        "note": {"type": "string"},
        "data": {"type": "object"},
    }
)
VOICEMAIL_BRIEF = obj(
    {
        "id": integer(minimum=1),
        "state": string(enum=values(VoicemailState)),
        "duration_seconds": integer(nullable=True),
        "created_at": moment(),
    }
)
TICKET_DETAIL = {
    "allOf": [
        ref("Ticket"),
        obj(
            {
                "can_change": {"type": "boolean", "description": "Whether PATCH is allowed."},
                "can_answer_referral": {
                    "type": "boolean",
                    "description": "A referral waits for your station to accept or decline it.",
                },
                "voicemails": {"type": "array", "items": ref("VoicemailBrief")},
                "events": {"type": "array", "items": ref("TicketEvent")},
                "referrals": {
                    "type": "array",
                    "items": ref("Referral"),
                    "description": "Every referral of the ticket, oldest first.",
                },
            }
        ),
    ]
}
RESOLUTION_FIELDS = ["resolution_category", "problems_solved", "resolution_note"]
RESOLVING: Schema = {"required": ["status"], "properties": {"status": {"enum": ["resolved"]}}}
TICKET_PATCH: Schema = {
    "type": "object",
    "additionalProperties": False,
    "description": (
        "Any of the fields. `status: resolved` needs `resolution_category` and "
        "`problems_solved` (and only then may they be sent); open and in_progress "
        "switch freely; a resolved ticket is reopened by sending open or in_progress "
        "with `reopen_reason` (recorded in its trail)."
    ),
    "properties": {
        "status": string(enum=values(TicketStatus)),
        "tags": {
            "type": "array",
            "maxItems": MAX_TAGS,
            "items": TAG,
            "description": "The ticket's full tag list (replaces it).",
        },
        "assignee": string(
            nullable=True, pattern=USERNAME_PATTERN, description="Username, `me`, or null."
        ),
        "expected_version": integer(minimum=1, maximum=MAX_ID),
        "resolution_category": string(enum=values(ResolutionCategory)),
        "problems_solved": integer(minimum=0, maximum=99),
        "resolution_note": string(maxLength=MAX_NOTE, pattern=NO_NUL),
        "reopen_reason": string(maxLength=MAX_NOTE, pattern=NO_NUL),
    },
    "anyOf": [
        {"not": {"anyOf": [RESOLVING, *({"required": [f]} for f in RESOLUTION_FIELDS)]}},
        {**RESOLVING, "required": ["status", "resolution_category", "problems_solved"]},
    ],
}
NOTE_CREATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["text"],
    "properties": {"text": string(minLength=1, maxLength=MAX_NOTE, pattern=NOT_BLANK)},
}
VOICEMAIL: Schema = {
    "allOf": [
        ref("VoicemailBrief"),
        obj(
            {
                "recording_sid": {"type": "string"},
                "call_id": integer(nullable=True),
                "ticket_id": integer(nullable=True),
                "station": string(nullable=True),
                "language": string(nullable=True),
                "menu_tags": {"type": "array", "items": {"type": "string"}},
                "menu_priority": string(nullable=True),
                "attempts": integer(minimum=0),
                "last_error": string(nullable=True),
                "has_audio": {"type": "boolean"},
                "has_transcript": {"type": "boolean"},
                "size_bytes": integer(nullable=True),
                "sha256": string(nullable=True),
                "fetched_at": moment(nullable=True),
                "transcribed_at": moment(nullable=True),
            }
        ),
    ]
}
WORDS: Schema = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "word": {"type": "string"},
            "start": {"type": "number"},
            "end": {"type": "number"},
            "conf": {"type": "number"},
        },
    },
}
CORRECTION = obj(
    {
        "text": {"type": "string", "description": "As corrected; empty once retention blanked it."},
        "words": {
            **WORDS,
            "description": "Aligned to the recording: unchanged words keep the recogniser's "
            "times; `changed: true` marks words a person changed (their times interpolated).",
        },
        "corrected_by": string(nullable=True, description="Username."),
        "corrected_at": moment(),
        "corrections": integer(
            minimum=1, description="Corrections made so far, this one included."
        ),
        "metric": string(
            enum=["cer", "wer"],
            description="`cer`: compared by character (Chinese); `wer`: by word.",
        ),
        "machine_edits": integer(minimum=0),
        "reference_length": integer(minimum=0),
        "machine_error_rate": {
            "type": "number",
            "nullable": True,
            "description": "The machine's error rate against this correction: edits over "
            "the correction's characters (`cer`) or words (`wer`).",
        },
    },
    "A person's correction of the transcript; the machine's own text is never changed.",
)
TRANSCRIPT = obj(
    {
        "voicemail_id": integer(minimum=1),
        "text": {
            "type": "string",
            "description": "The machine's, for reading: no spaces between CJK words.",
        },
        "raw_text": {"type": "string"},
        "corrected_text": string(
            nullable=True, description="The correction in force; null if none was made."
        ),
        "correction": {**CORRECTION, "nullable": True},
        "words": WORDS,
        "confidence": {"type": "number", "nullable": True},
        "language": {"type": "string"},
        "language_fallback": {"type": "boolean"},
        "model": {"type": "string"},
        "audio_seconds": {"type": "number"},
        "decode_seconds": {"type": "number"},
        "created_at": moment(),
    }
)
CALL = obj(
    {
        "id": integer(minimum=1),
        "call_sid": {"type": "string"},
        "direction": string(enum=values(CallDirection)),
        "station": string(nullable=True),
        "from_number": string(description="Masked unless the caller's ticket is yours."),
        "from_number_masked": {"type": "boolean"},
        "to_number": string(
            description="The dialled number. On a callback it is the worker's own phone: "
            "masked for everyone but that worker."
        ),
        "to_number_masked": {"type": "boolean"},
        "language": string(nullable=True),
        "last_node": string(nullable=True),
        "chosen_need": string(nullable=True),
        "transferred_to": string(nullable=True),
        "started_at": moment(),
        "ended_at": moment(nullable=True),
        "duration_seconds": integer(nullable=True),
        "status": {"type": "string", "description": "Twilio's CallStatus."},
        "outcome": string(enum=values(CallOutcome)),
    }
)
CALL_EVENT = obj(
    {
        "id": integer(minimum=1),
        "at": moment(),
        "kind": {"type": "string"},
        "node": string(nullable=True),
        "digits": string(nullable=True),
        "detail": {"type": "object"},
    }
)
CALL_DETAIL = {
    "allOf": [
        ref("Call"),
        obj(
            {
                "voicemail_ids": {"type": "array", "items": integer(minimum=1)},
                "events": {"type": "array", "items": ref("CallEvent")},
            }
        ),
    ]
}
DISTRICT = obj(
    {"code": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}}
)
STATION = obj(
    {
        "code": string(pattern=STATION_PATTERN),
        "name_zh": {"type": "string"},
        "name_en": {"type": "string"},
        "district": ref("District"),
        "hotline_numbers": {"type": "array", "items": {"type": "string"}},
        "languages": {"type": "array", "items": {"type": "string"}},
        "timezone": {"type": "string"},
        "twenty_four_hours": {"type": "boolean"},
        "opening_hours": {"type": "object"},
        "holidays": {"type": "array", "items": {"type": "string"}},
        "sla_urgent_minutes": {"type": "integer"},
        "sla_normal_minutes": {"type": "integer"},
        "ticket_on_abandon": {"type": "boolean"},
        "active": {"type": "boolean"},
    }
)


def counts(keys: tuple[str, ...], what: str) -> Schema:
    return obj({key: integer(minimum=0) for key in keys}, what)


def series(length: int, items: Schema) -> Schema:
    return {"type": "array", "minItems": length, "maxItems": length, "items": items}


MINUTES = {"type": "number", "minimum": 0, "nullable": True}
STATS_DURATIONS = obj(
    {
        "count": integer(minimum=0, description="Tickets that reached the event in the period."),
        "median_minutes": MINUTES,
        "p90_minutes": MINUTES,
        "within_sla": integer(minimum=0, description="Of `count`, reached by the due time."),
    },
    "Minutes from a ticket's first voicemail (or its opening) to an event.",
)
COUNT = integer(minimum=0)
STATS_FIGURES = obj(
    {
        **{
            name: COUNT
            for name in (
                "calls_received",
                "calls_answered",
                "calls_to_voicemail",
                "calls_abandoned",
                "person_times",
                "voicemails",
                "transcription_backlog",
                "transcription_failed",
                "tickets_opened",
                "tickets_resolved",
                "tickets_overdue",
                "referrals_sent",
                "referrals_received",
            )
        },
        "first_callback": ref("StatsDurations"),
        "resolution": ref("StatsDurations"),
        "problems_solved": counts(STATS_CATEGORIES, "Problems solved, by resolution category."),
        "vulnerable_served": counts(
            STATS_VULNERABILITIES, "Person-times of callers with each vulnerability flag."
        ),
        "calls_by_hour": series(24, COUNT),
        "calls_by_weekday": series(7, COUNT),
        "calls_by_weekday_hour": series(7, series(24, COUNT)),
    },
    "Every figure of a scope over a period; the README's glossary defines each.",
)
STATS_REPORT = obj(
    {
        "scope": obj(
            {
                "kind": string(enum=["station", "district", "city"]),
                "code": string(description="Station or district code; empty for the city."),
                "spec": string(description="As the `scope` parameter names it."),
                "name_zh": {"type": "string"},
                "name_en": {"type": "string"},
                "station_ids": {"type": "array", "items": integer(minimum=1)},
                "timezone": string(description="Where presets read today's date."),
            }
        ),
        "period": obj(
            {
                "start": string(fmt="date"),
                "end": string(fmt="date"),
                "days": integer(minimum=1),
            },
            "Local calendar days, inclusive, each station on its own clock.",
        ),
        "totals": ref("StatsFigures"),
        "rows": {
            "type": "array",
            "description": "A district's stations, or the city's districts; else empty.",
            "items": obj(
                {
                    "level": string(enum=["station", "district"]),
                    "id": integer(minimum=1),
                    "code": {"type": "string"},
                    "name_zh": {"type": "string"},
                    "name_en": {"type": "string"},
                    "figures": ref("StatsFigures"),
                }
            ),
        },
        "generated_at": moment(nullable=True),
        "as_of": {
            **moment(nullable=True),
            "description": "When the rolled-up figures were current; null: all live.",
        },
        "notes": {"type": "array", "items": {"type": "string"}},
    }
)
ERROR = obj(
    {
        "error": obj(
            {
                "code": string(description="Stable, e.g. `not_found`, `invalid_parameter`."),
                "message": string(description="For people; says what to change."),
            }
        )
    }
)

SCHEMAS: dict[str, Schema] = {
    "Error": ERROR,
    "Ticket": TICKET,
    "TicketDetail": TICKET_DETAIL,
    "TicketEvent": TICKET_EVENT,
    "TicketPage": page_of("Ticket"),
    "TicketPatch": TICKET_PATCH,
    "NoteCreate": NOTE_CREATE,
    "Referral": REFERRAL,
    "ReferralCreate": REFERRAL_CREATE,
    "ReferralAccept": REFERRAL_ACCEPT,
    "ReferralDecline": REFERRAL_DECLINE,
    "VoicemailBrief": VOICEMAIL_BRIEF,
    "Voicemail": VOICEMAIL,
    "Transcript": TRANSCRIPT,
    "TranscriptCorrection": CORRECTION,
    "Call": CALL,
    "CallDetail": CALL_DETAIL,
    "CallEvent": CALL_EVENT,
    "CallPage": page_of("Call"),
    "District": DISTRICT,
    "Station": STATION,
    "StationList": obj({"items": {"type": "array", "items": ref("Station")}}),
    "StatsDurations": STATS_DURATIONS,
    "StatsFigures": STATS_FIGURES,
    "StatsReport": STATS_REPORT,
}
