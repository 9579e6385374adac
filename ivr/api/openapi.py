"""``GET /api/v1/openapi.json``: the API described in OpenAPI 3.0, by hand.

Tests run schemathesis against it, so it must stay true to what the views answer.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ivr.api import PREFIX, bp
from ivr.api.openapi_schemas import (
    MAX_ID,
    SCHEMAS,
    STATION_PATTERN,
    TAG,
    USERNAME_PATTERN,
    Schema,
    ref,
    values,
)
from ivr.api.params import MAX_LIMIT
from ivr.api.stats import SCOPE_PATTERN as STATS_SCOPE_PATTERN
from ivr.stats.figures import PRESETS
from models import TicketStatus

ERRORS = {
    400: "Malformed input: unknown or repeated parameter, bad value, bad JSON, unknown field.",
    401: "No bearer token, or it is unknown, expired, revoked, or its user is disabled.",
    403: "Visible, but not yours to change (the ticket was referred to another station).",
    404: "No such thing, or outside your scope (the same answer for both).",
    409: "The ticket changed since you read it (`expected_version`), or at the same time; or"
    " it waits for its receiving station to accept it first (`referral_pending`).",
    413: "Request body over 64 KiB.",
    415: "The request body is not `application/json`.",
    416: "The requested byte range is outside the recording.",
    422: "Well-formed, but the change cannot be made; the message says why.",
}


def json_content(schema: Schema) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def responses(ok: int, description: str, schema: Schema, *errors: int) -> dict[str, Any]:
    answered: dict[str, Any] = {
        str(ok): {"description": description, "content": json_content(schema)}
    }
    for status in (400, 401, 404, *errors):
        answered[str(status)] = {
            "description": ERRORS[status],
            "content": json_content(ref("Error")),
        }
    answered["401"]["headers"] = {
        "WWW-Authenticate": {"schema": {"type": "string"}, "description": '`Bearer realm="ivr"`'}
    }
    return answered


def query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def path_id(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "example": 1,
        "description": f"The {what}'s id.",
    }


MOMENT: Schema = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}
PAGING = [
    query(
        "cursor",
        {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,200}$"},
        "`next_cursor` of the previous page, as it was given.",
    ),
    query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
        "Page size.",
    ),
]
STATION_FILTER = query("station", {"type": "string", "pattern": STATION_PATTERN}, "A station code.")


def _window(field: str) -> list[dict[str, Any]]:
    return [
        query("since", MOMENT, f"{field} at or after this (a date: its start, UTC)."),
        query("until", MOMENT, f"{field} before this (a date: up to its end, UTC)."),
    ]


TICKET_FILTERS = [
    query("status", {"type": "string", "enum": values(TicketStatus)}, "Ticket status."),
    STATION_FILTER,
    query("tag", TAG, "Has this tag (a code, a catalogue name or free text)."),
    query("urgent", {"type": "string", "enum": ["true", "false"]}, "Priority urgent (or not)."),
    query("overdue", {"type": "string", "enum": ["true", "false"]}, "Unresolved past due_at."),
    query(
        "assignee",
        {"type": "string", "pattern": USERNAME_PATTERN},
        "`me`, `none` (unassigned) or a username.",
    ),
    *_window("opened_at"),
    query(
        "view",
        {"type": "string", "enum": ["queue", "incoming", "referred_out"]},
        "`queue` (default): tickets now at your stations. `incoming`: those of them referred"
        " by another station and waiting for you to accept or decline. `referred_out`:"
        " tickets referred from your stations to others, in their current state.",
    ),
    query(
        "q",
        {"type": "string", "maxLength": 100},
        "Search: `#123` a ticket number; digits, any part of the caller's number (3 or more)"
        " or a ticket number; other text, words in a transcript.",
    ),
    *PAGING,
]
TICKET_ID = path_id("ticket_id", "ticket")
VOICEMAIL_ID = path_id("voicemail_id", "voicemail")
AUDIO = {
    "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
}

PATHS: dict[str, Any] = {
    "/tickets": {
        "get": {
            "operationId": "listTickets",
            "summary": "Tickets in your scope, urgent and soonest due first (keyset-paged).",
            "parameters": TICKET_FILTERS,
            "responses": responses(200, "A page of tickets.", ref("TicketPage")),
        }
    },
    "/tickets/{ticket_id}": {
        "parameters": [TICKET_ID],
        "get": {
            "operationId": "getTicket",
            "summary": "One ticket with its voicemails and trail.",
            "responses": responses(200, "The ticket.", ref("TicketDetail")),
        },
        "patch": {
            "operationId": "updateTicket",
            "summary": "Change status, tags or assignee; resolve.",
            "requestBody": {"required": True, "content": json_content(ref("TicketPatch"))},
            "responses": responses(
                200, "The ticket as changed.", ref("TicketDetail"), 403, 409, 413, 415, 422
            ),
        },
    },
    "/tickets/{ticket_id}/notes": {
        "parameters": [TICKET_ID],
        "post": {
            "operationId": "addTicketNote",
            "summary": "Add a note to the ticket's trail.",
            "requestBody": {"required": True, "content": json_content(ref("NoteCreate"))},
            "responses": responses(
                201, "The note, as a trail entry.", ref("TicketEvent"), 403, 413, 415, 422
            ),
        },
    },
    "/tickets/{ticket_id}/referrals": {
        "parameters": [TICKET_ID],
        "post": {
            "operationId": "referTicket",
            "summary": "Refer the ticket to another station; it waits there to be accepted.",
            "requestBody": {"required": True, "content": json_content(ref("ReferralCreate"))},
            "responses": responses(
                201, "The referral, pending.", ref("Referral"), 403, 409, 413, 415, 422
            ),
        },
    },
    "/tickets/{ticket_id}/referrals/accept": {
        "parameters": [TICKET_ID],
        "post": {
            "operationId": "acceptReferral",
            "summary": "The receiving station takes on the ticket referred to it.",
            "requestBody": {"required": True, "content": json_content(ref("ReferralAccept"))},
            "responses": responses(
                200, "The referral, accepted.", ref("Referral"), 403, 409, 413, 415, 422
            ),
        },
    },
    "/tickets/{ticket_id}/referrals/decline": {
        "parameters": [TICKET_ID],
        "post": {
            "operationId": "declineReferral",
            "summary": "The receiving station declines, with a reason: the ticket goes back.",
            "requestBody": {"required": True, "content": json_content(ref("ReferralDecline"))},
            "responses": responses(
                200, "The referral, declined.", ref("Referral"), 403, 409, 413, 415, 422
            ),
        },
    },
    "/calls": {
        "get": {
            "operationId": "listCalls",
            "summary": "Calls in your scope, newest first (keyset-paged).",
            "parameters": [STATION_FILTER, *_window("started_at"), *PAGING],
            "responses": responses(200, "A page of calls.", ref("CallPage")),
        }
    },
    "/calls/{call_id}": {
        "parameters": [path_id("call_id", "call")],
        "get": {
            "operationId": "getCall",
            "summary": "One call with every step.",
            "responses": responses(200, "The call.", ref("CallDetail")),
        },
    },
    "/voicemails/{voicemail_id}": {
        "parameters": [VOICEMAIL_ID],
        "get": {
            "operationId": "getVoicemail",
            "summary": "A voicemail's metadata, ticket and processing state.",
            "responses": responses(200, "The voicemail.", ref("Voicemail")),
        },
    },
    "/voicemails/{voicemail_id}/transcript": {
        "parameters": [VOICEMAIL_ID],
        "get": {
            "operationId": "getTranscript",
            "summary": "What Vosk heard. 404 until transcribed.",
            "responses": responses(200, "The transcript.", ref("Transcript")),
        },
    },
    "/voicemails/{voicemail_id}/audio": {
        "parameters": [VOICEMAIL_ID],
        "get": {
            "operationId": "getVoicemailAudio",
            "summary": "The recording (WAV). Supports `Range`; each play is audited.",
            "responses": {
                **responses(200, "The whole recording.", {}, 416),
                "200": {"description": "The whole recording.", **AUDIO},
                "206": {"description": "The requested byte range.", **AUDIO},
            },
        },
    },
    "/stations": {
        "get": {
            "operationId": "listStations",
            "summary": "The stations in your scope, by code.",
            "responses": responses(200, "The stations.", ref("StationList")),
        }
    },
    "/stations/{code}": {
        "parameters": [
            {
                "name": "code",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": STATION_PATTERN},
            }
        ],
        "get": {
            "operationId": "getStation",
            "summary": "One station in your scope.",
            "responses": responses(200, "The station.", ref("Station")),
        },
    },
}

PATHS["/stats"] = {
    "get": {
        "operationId": "getStats",
        "summary": "Statistics of a station, district or the city in your scope, for a period.",
        "description": (
            "The figures the dashboard shows. Give a `preset`, or `from` (and `to`, default "
            "`from`): at most 366 local days, `to` not before `from` (a 400 otherwise). "
            "Neither: this month. A scope outside yours answers 404."
        ),
        "parameters": [
            query(
                "scope",
                {"type": "string", "pattern": STATS_SCOPE_PATTERN},
                "`city`, `station:<code>` or `district:<code or Chinese name>`; "
                "default: your own station, district or the city.",
            ),
            query(
                "preset",
                {"type": "string", "enum": list(PRESETS)},
                "`today`, `7d` (today and 6 days before), `month` (to date), `last_month`.",
            ),
            query("from", {"type": "string", "format": "date"}, "First local day."),
            query("to", {"type": "string", "format": "date"}, "Last local day (inclusive)."),
        ],
        "responses": responses(200, "The report.", ref("StatsReport")),
    }
}

DESCRIPTION = """\
The hotline's tickets, calls, voicemails, stations and statistics, for the token's user.

Authenticate with `Authorization: Bearer <token>` (tokens come from `ivr tokens create`).
Everything is narrowed to the user's scope: outside it, a thing answers 404 as if it did
not exist. Callers' numbers are masked unless the ticket is assigned to you; the worker's
own phone a callback rang is masked for everyone but that worker. Timestamps
are ISO 8601 in UTC. Lists are keyset-paged: pass `next_cursor` back as `cursor`.
Errors are `{"error": {"code", "message"}}`.
"""


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Hotline IVR API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An `ivr_…` API token.",
                }
            },
            "schemas": SCHEMAS,
        },
    }


@bp.get("/openapi.json")
def openapi_document() -> Response:
    return jsonify(document())
