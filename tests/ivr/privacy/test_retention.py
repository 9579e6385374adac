"""Retention: recordings, transcripts and caller details go when their period has
passed, never while an open ticket needs them; station over district over city."""

from __future__ import annotations

from sqlalchemy import select

from ivr import jobs
from ivr.db import database
from ivr.privacy.policies import Resolver, save_policy
from ivr.privacy.retention import enforce_retention
from models import AuditLog, Caller, CallerVulnerability
from tests import factories
from tests.conftest import fresh
from tests.ivr.privacy.conftest import case, voicemail_of


def _run(app, **kw):  # type: ignore[no-untyped-def]
    fake = app.extensions["ivr.twilio_http_client"]
    return enforce_retention(
        database(app).sessions, app.config["IVR"], twilio_http_client=fake, **kw
    )


def test_a_closed_case_loses_its_recording_and_transcript_an_open_one_keeps_them(
    app, db_session, storage, nanzhou
):
    closed = case(db_session, storage, nanzhou, resolved_days_ago=100)
    still_open = case(db_session, storage, nanzhou, number="+8613900000002")
    db_session.commit()

    report = _run(app)

    assert report.recordings == {"haizhu-nanzhou": 1}
    fresh(db_session)
    gone = voicemail_of(db_session, closed["ticket"].id)
    assert gone.storage_path is None and gone.purged_at is not None
    assert not closed["path"].exists()
    # 100 days is inside the transcripts' 365: the text stays for now.
    assert gone.transcript.text == "我想买米" and gone.transcript.blanked_at is None
    kept = voicemail_of(db_session, still_open["ticket"].id)
    assert kept.storage_path and still_open["path"].exists() and kept.purged_at is None
    assert kept.transcript.text == "我想买米"
    # The open case's caller keeps name, notes and flags, however old the contact.
    caller = db_session.get(Caller, still_open["caller"].id)
    assert caller.name == "连姐" and caller.notes and caller.flags
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "privacy.retention")).one()
    assert audit.detail["stations"]["haizhu-nanzhou"] == [1, 0, 0]


def test_transcripts_and_caller_details_follow_their_own_periods(app, db_session, storage, nanzhou):
    old = case(db_session, storage, nanzhou, resolved_days_ago=800, days_ago=900)
    db_session.commit()

    report = _run(app)

    assert (report.recordings, report.transcripts, report.callers) == (
        {"haizhu-nanzhou": 1},
        {"haizhu-nanzhou": 1},
        {"haizhu-nanzhou": 1},
    )
    fresh(db_session)
    voicemail = voicemail_of(db_session, old["ticket"].id)
    assert voicemail.transcript.text == voicemail.transcript.raw_text == ""
    assert voicemail.transcript.words == [] and voicemail.transcript.blanked_at
    caller = db_session.get(Caller, old["caller"].id)
    assert (caller.name, caller.notes, caller.flags) == ("", "", set())
    assert caller.details_purged_at is not None
    assert caller.phone_number == old["caller"].phone_number  # the number stays: counts do
    # Nothing else to do the next day.
    again = _run(app)
    assert again.as_dict()["totals"] == {
        "recordings": 0,
        "transcripts": 0,
        "callers": 0,
        "twilio_deleted": 0,
    }


def test_station_overrides_district_overrides_city(app, db_session, storage, nanzhou):
    fengyang = factories.station(db_session, nanzhou.district, code="haizhu-fengyang")
    other = factories.station(db_session, code="baiyun-tongde")
    cases = {
        s.code: case(db_session, storage, s, resolved_days_ago=40, number=f"+86139000001{i:02d}")
        for i, s in enumerate([nanzhou, fengyang, other])
    }
    save_policy(
        db_session,
        {"recordings_days": 60, "transcripts_days": None, "caller_details_days": None},
        None,
    )
    save_policy(
        db_session,
        {"recordings_days": 30, "transcripts_days": None, "caller_details_days": None},
        None,
        district_id=nanzhou.district_id,
    )
    save_policy(
        db_session,
        {"recordings_days": 50, "transcripts_days": None, "caller_details_days": None},
        None,
        station_id=nanzhou.id,
    )
    db_session.commit()
    resolver = Resolver(db_session, app.config["IVR"])
    assert resolver.for_station(nanzhou).recordings_days.source == "station"
    assert resolver.for_station(fengyang).recordings_days.days == 30
    assert resolver.for_station(other).recordings_days.source == "city"
    assert resolver.for_station(other).transcripts_days.source == "default"

    dry = _run(app, dry_run=True)
    assert dry.recordings == {"haizhu-fengyang": 1}  # 40 days: past 30 only
    assert all(c["path"].exists() for c in cases.values())  # a dry run changes nothing
    assert not db_session.scalars(select(AuditLog)).all()

    _run(app)
    assert [code for code, c in cases.items() if not c["path"].exists()] == ["haizhu-fengyang"]


def test_a_ticket_reopened_keeps_its_recording(app, db_session, storage, nanzhou):
    from models import TicketStatus

    reopened = case(db_session, storage, nanzhou, resolved_days_ago=100)
    reopened["ticket"].status = TicketStatus.OPEN  # resolved long ago, reopened today
    db_session.commit()
    assert _run(app).recordings == {}
    assert reopened["path"].exists()


def test_the_daily_job_runs_once_per_day_across_workers(app, db_session, storage, nanzhou):
    case(db_session, storage, nanzhou, resolved_days_ago=100)
    db_session.commit()
    daily = jobs.tasks(app).enforce_retention  # as every consumer's scheduler runs it
    assert daily.call_local().startswith("recordings 1,")
    assert daily.call_local() is None
    assert "ivr.enforce_retention" in jobs.PERIODIC


def test_the_command_shows_and_enforces(app, runner, db_session, storage, nanzhou):
    closed = case(db_session, storage, nanzhou, resolved_days_ago=100)
    db_session.commit()
    dry = runner.invoke("privacy", "retention", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "haizhu-nanzhou" in dry.output and "due: recordings 1" in dry.output
    assert closed["path"].exists()
    done = runner.invoke("privacy", "retention")
    assert "removed: recordings 1" in done.output and not closed["path"].exists()
    assert db_session.scalars(select(CallerVulnerability)).all()  # contact 200 days ago: kept
