"""A resident's request: export everything held about a number, or erase it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ivr.db import database
from ivr.privacy.erasure import ErasureRefused, is_anonymous
from ivr.privacy.requests import NothingHeld, erase_number, export_number
from ivr.stats.figures import build_report
from ivr.stats.report import Period
from ivr.stats.rollup import refresh_rollups
from ivr.stats.scopes import resolve_scope
from models import (
    AuditLog,
    Call,
    Caller,
    Referral,
    ReferralState,
    Ticket,
    TicketEvent,
    TicketEventKind,
    Voicemail,
    utcnow,
)
from tests import factories
from tests.conftest import fresh
from tests.ivr.privacy.conftest import AUDIO, case

NUMBER = "+8613912345678"


def _erase(app, session, number=NUMBER, **kw):  # type: ignore[no-untyped-def]
    return erase_number(
        session,
        database(app).sessions,
        app.config["IVR"],
        number,
        twilio_http_client=app.extensions["ivr.twilio_http_client"],
        **kw,
    )


def test_the_export_holds_audio_transcript_calls_and_the_tickets_trail(
    app, db_session, storage, nanzhou
):
    held = case(db_session, storage, nanzhou, number=NUMBER, resolved_days_ago=3)
    held["call"].events  # noqa: B018 - loaded for the event below
    db_session.add(
        TicketEvent(
            ticket_id=held["ticket"].id, at=utcnow(), kind=TicketEventKind.NOTE, note="送米到家"
        )
    )
    case(db_session, storage, nanzhou, number="+8613900000009")  # someone else
    db_session.commit()

    out = io.BytesIO()
    made = export_number(db_session, app.config["IVR"], NUMBER, out, via="test")

    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    voicemail_id = held["voicemail"].id
    assert sorted(archive.namelist()) == [f"audio/voicemail-{voicemail_id}.wav", "resident.json"]
    assert archive.read(f"audio/voicemail-{voicemail_id}.wav") == AUDIO
    document = json.loads(archive.read("resident.json"))
    assert document["number"] == NUMBER
    assert document["caller"]["name"] == "连姐" and document["caller"]["flags"] == ["lone_elderly"]
    assert [c["from_number"] for c in document["calls"]] == [NUMBER]
    (voicemail,) = document["voicemails"]
    assert voicemail["transcript"]["text"] == "我想买米"
    assert voicemail["audio"] == f"audio/voicemail-{voicemail_id}.wav"
    (ticket,) = document["tickets"]
    assert ticket["status"] == "resolved" and [e["note"] for e in ticket["events"]] == ["送米到家"]
    assert made["audio_files"] == 1
    audit = (
        fresh(db_session).scalars(select(AuditLog).where(AuditLog.action == "privacy.export")).one()
    )
    assert NUMBER not in json.dumps(audit.detail) and audit.detail["audio_files"] == 1


def test_nothing_held_is_said_so(app, db_session):
    with pytest.raises(NothingHeld):
        export_number(db_session, app.config["IVR"], NUMBER, io.BytesIO())


def test_erasure_with_an_open_ticket_is_refused_unless_forced(app, db_session, storage, nanzhou):
    held = case(db_session, storage, nanzhou, number=NUMBER)  # ticket still open
    db_session.commit()
    with pytest.raises(ErasureRefused) as refused:
        _erase(app, db_session)
    db_session.rollback()
    assert refused.value.ticket_ids == [held["ticket"].id]
    assert held["path"].exists()
    assert (
        fresh(db_session).scalar(select(Caller.name).where(Caller.phone_number == NUMBER)) == "连姐"
    )

    erased = _erase(app, db_session, force=True)
    assert not held["path"].exists() and is_anonymous(erased.token)
    audit = (
        fresh(db_session).scalars(select(AuditLog).where(AuditLog.action == "privacy.erase")).one()
    )
    assert audit.detail["forced"] is True and audit.detail["open_tickets"] == [held["ticket"].id]


def test_erasure_removes_the_person_and_keeps_the_statistics(app, db_session, storage, nanzhou):
    now = utcnow()
    held = case(db_session, storage, nanzhou, number=NUMBER, resolved_days_ago=1, days_ago=2)
    caller = held["caller"]
    # Two more calls from the number: one the same day (one person-time), one another day.
    for days in (2, 3):
        extra = factories.call(
            db_session,
            nanzhou,
            from_number=NUMBER,
            started_at=now - timedelta(days=days, minutes=5),
        )
        extra.caller_id = caller.id
    other = case(
        db_session, storage, nanzhou, number="+8613900000009", resolved_days_ago=1, days_ago=2
    )
    db_session.add(
        TicketEvent(
            ticket_id=held["ticket"].id,
            at=now,
            kind=TicketEventKind.NOTE,
            note=f"回电 {NUMBER} 连姐",
            data={"to": NUMBER},
        )
    )
    db_session.add(
        Referral(
            ticket_id=held["ticket"].id,
            from_station_id=nanzhou.id,
            to_station_id=factories.station(db_session).id,
            state=ReferralState.DECLINED,
            reason="连姐住在同德街",
            decline_reason="连姐不住这里",
            sent_at=now,
            accept_due_at=now,
        )
    )
    db_session.commit()
    period = Period(date.today() - timedelta(days=10), date.today())
    refresh_rollups(db_session, now=now, since=period.start)

    def figures():  # type: ignore[no-untyped-def]
        scope = resolve_scope(fresh(db_session), "city")
        return (
            build_report(db_session, scope, period).totals,
            build_report(db_session, scope, period, use_rollups=False).totals,
        )

    before = figures()
    assert before[0].person_times == 3  # the resident on two days, the other resident once
    erased = _erase(app, db_session)
    after_rolled, after_live = figures()
    assert (after_rolled, after_live) == before
    refresh_rollups(db_session, now=now, since=period.start)
    assert figures() == before

    fresh(db_session)
    assert db_session.scalar(select(Caller).where(Caller.phone_number == NUMBER)) is None
    anonymous = db_session.get(Caller, caller.id)
    assert (anonymous.phone_number, anonymous.name, anonymous.notes) == (erased.token, "", "")
    assert anonymous.erased_at is not None
    assert {
        c.from_number for c in db_session.scalars(select(Call).where(Call.caller_id == caller.id))
    } == {erased.token}
    ticket = db_session.get(Ticket, held["ticket"].id)
    assert ticket.caller_number == erased.token
    assert [(e.note, e.data) for e in ticket.events] == [("", {"to": erased.token})]
    referral = db_session.scalar(select(Referral).where(Referral.ticket_id == ticket.id))
    assert (referral.reason, referral.decline_reason) == ("", "")
    voicemail = db_session.get(Voicemail, held["voicemail"].id)
    assert voicemail.storage_path is None and not held["path"].exists()
    assert voicemail.transcript.text == "" and voicemail.twilio_deleted_at is not None
    assert other["path"].exists()  # the other resident is untouched
    assert app.extensions["ivr.twilio_http_client"].calls[-1][0] == "DELETE"


def test_the_commands(app, runner, db_session, storage, nanzhou, tmp_path):
    case(db_session, storage, nanzhou, number=NUMBER, resolved_days_ago=2)
    db_session.commit()
    target = tmp_path / "resident.zip"
    exported = runner.invoke("privacy", "export", "+86 139 1234 5678", "-o", str(target))
    assert exported.exit_code == 0, exported.output
    assert "audio_files 1" in exported.output and target.stat().st_mode & 0o077 == 0
    assert "resident.json" in zipfile.ZipFile(target).namelist()

    asked = runner.invoke("privacy", "erase", NUMBER)
    assert asked.exit_code == 1 and "--yes" in asked.output
    done = runner.invoke("privacy", "erase", NUMBER, "--yes")
    assert done.exit_code == 0 and "+999" in done.output
    again = runner.invoke("privacy", "erase", NUMBER, "--yes")
    assert again.exit_code == 1 and "nothing is held" in again.output
    assert runner.invoke("privacy", "export", "12345", "-o", str(target)).exit_code == 2
    # A withheld number's placeholder is everyone who hid their number: never one resident.
    assert runner.invoke("privacy", "erase", "+266696687", "--yes").exit_code == 2


def test_the_command_says_why_it_refuses(app, runner, db_session, storage, nanzhou):
    held = case(db_session, storage, nanzhou, number=NUMBER)
    db_session.commit()
    refused = runner.invoke("privacy", "erase", NUMBER, "--yes")
    assert refused.exit_code == 1
    assert f"open tickets (#{held['ticket'].id})" in refused.output and "--force" in refused.output
    assert runner.invoke("privacy", "erase", NUMBER, "--yes", "--force").exit_code == 0
