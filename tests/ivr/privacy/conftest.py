"""Privacy tests: a station with a closed and an open case, each with a stored recording
and a transcript, and Twilio's REST API faked at its HTTP boundary."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response

from models import (
    CallerVulnerability,
    TicketStatus,
    Transcript,
    Voicemail,
    VoicemailState,
    Vulnerability,
    utcnow,
)
from tests import factories
from tests.ivr.admin.conftest import admin_world  # noqa: F401 - shared fixtures
from tests.ivr.console.conftest import browser, login, world  # noqa: F401

AUDIO = b"RIFF\x24\x08\x00\x00WAVEfmt " + bytes(range(256)) * 40


class FakeTwilioRest(HttpClient):
    """Twilio's REST API at its HTTP boundary: answers each request with ``status``."""

    def __init__(self, status: int = 204) -> None:
        super().__init__(logging.getLogger("fake-twilio"), is_async=False)
        self.status = status
        self.calls: list[tuple[str, str]] = []

    def request(self, method, url, **kwargs):  # type: ignore[no-untyped-def]
        self.calls.append((method, url))
        if self.status >= 400:
            return Response(
                self.status,
                json.dumps({"code": 20404, "message": "refused", "status": self.status}),
            )
        return Response(self.status, "")


def case(
    session, storage, station, *, resolved_days_ago=None, number=None, name="连姐", days_ago=200
):  # type: ignore[no-untyped-def]
    """A caller's call, voicemail (stored file, transcript) and ticket at ``station``."""
    then = utcnow() - timedelta(days=days_ago)
    caller = factories.caller(session, number, name=name)
    caller.notes = "独居，行动不便"
    caller.vulnerabilities = [CallerVulnerability(flag=Vulnerability.LONE_ELDERLY)]
    call = factories.call(session, station, from_number=caller.phone_number, started_at=then)
    call.caller_id = caller.id
    ticket = factories.ticket(
        session, station, caller, opened_at=then, due_at=then + timedelta(days=1)
    )
    if resolved_days_ago is not None:
        ticket.status = TicketStatus.RESOLVED
        ticket.resolved_at = utcnow() - timedelta(days=resolved_days_ago)
    relative = f"{station.code}/vm-{ticket.id}.wav"
    (storage / station.code).mkdir(parents=True, exist_ok=True)
    (storage / relative).write_bytes(AUDIO)
    voicemail = factories.voicemail(
        session,
        ticket,
        call_id=call.id,
        state=VoicemailState.TRANSCRIBED,
        storage_path=relative,
        size_bytes=len(AUDIO),
        recording_url=f"https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE{ticket.id}",
        created_at=then,
    )
    voicemail.transcript = Transcript(
        text="我想买米",
        raw_text="我 想 买 米",
        words=[{"word": "米", "start": 0.1, "end": 0.3, "conf": 0.9}],
        language="zh",
        model="m",
        audio_seconds=1.0,
        decode_seconds=0.1,
        created_at=then,
    )
    session.flush()
    return {
        "caller": caller,
        "call": call,
        "ticket": ticket,
        "voicemail": voicemail,
        "path": storage / relative,
    }


@pytest.fixture
def storage(app):
    return app.config["IVR"].storage_dir


@pytest.fixture
def nanzhou(db_session):
    district = factories.district(db_session, code="haizhu", name_zh="海珠区")
    return factories.station(db_session, district, code="haizhu-nanzhou", name_zh="南洲街")


def voicemail_of(session, ticket_id: int) -> Voicemail:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    return session.scalars(select(Voicemail).where(Voicemail.ticket_id == ticket_id)).one()


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    """The app, with Twilio's REST API faked (every request answered 204)."""
    built = make_app()
    built.extensions["ivr.twilio_http_client"] = FakeTwilioRest()
    return built
