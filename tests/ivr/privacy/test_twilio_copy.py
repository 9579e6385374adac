"""Twilio's copy of a recording: one REST DELETE through Twilio's library, idempotent."""

from __future__ import annotations

from ivr.config import Config
from ivr.db import database
from ivr.privacy.twilio_copy import delete_twilio_copy, pending_deletions
from tests.conftest import TWILIO_ACCOUNT_SID, fresh
from tests.ivr.privacy.conftest import FakeTwilioRest, case

AUTH = (TWILIO_ACCOUNT_SID, "token")


def test_deleted_once_then_never_asked_again(app, db_session, storage, nanzhou):
    voicemail = case(db_session, storage, nanzhou)["voicemail"]
    db_session.commit()
    fake = FakeTwilioRest(204)
    sessions = database(app).sessions

    assert delete_twilio_copy(sessions, AUTH, voicemail.id, fake) is True
    assert delete_twilio_copy(sessions, AUTH, voicemail.id, fake) is True
    assert fake.calls == [
        (
            "DELETE",
            f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}"
            f"/Recordings/{voicemail.recording_sid}.json",
        )
    ]
    assert fresh(db_session).get(type(voicemail), voicemail.id).twilio_deleted_at is not None
    assert pending_deletions(db_session) == []


def test_already_gone_at_twilio_counts_as_deleted(app, db_session, storage, nanzhou):
    voicemail = case(db_session, storage, nanzhou)["voicemail"]
    db_session.commit()
    assert delete_twilio_copy(database(app).sessions, AUTH, voicemail.id, FakeTwilioRest(404))
    assert fresh(db_session).get(type(voicemail), voicemail.id).twilio_deleted_at is not None


def test_a_failure_is_left_for_the_daily_run(app, db_session, storage, nanzhou):
    from ivr.privacy.retention import enforce_retention

    voicemail = case(db_session, storage, nanzhou)["voicemail"]
    db_session.commit()
    sessions = database(app).sessions
    assert not delete_twilio_copy(sessions, AUTH, voicemail.id, FakeTwilioRest(500))
    assert pending_deletions(fresh(db_session)) == [voicemail.id]

    report = enforce_retention(sessions, app.config["IVR"], twilio_http_client=FakeTwilioRest(204))
    assert report.twilio_deleted == 1
    assert pending_deletions(fresh(db_session)) == []


def test_deleting_twilios_copy_is_on_unless_switched_off(tmp_path):
    base = {"IVR_SECRET_KEY": "k"}
    assert Config.from_env(base, tmp_path).delete_recordings_after_fetch is True
    off = Config.from_env({**base, "IVR_DELETE_RECORDINGS_AFTER_FETCH": "0"}, tmp_path)
    assert off.delete_recordings_after_fetch is False


def test_no_transaction_is_open_while_twilio_is_asked(app, db_session, storage, nanzhou):
    """The DELETE is network I/O: no connection of the app's may be checked out (in a
    transaction) while it waits: a direct call, an erasure, the retention run."""
    from ivr.privacy.requests import erase_number
    from ivr.privacy.retention import enforce_retention

    engine = database(app).engine
    seen: list[int] = []

    class Watching(FakeTwilioRest):
        def request(self, method, url, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(engine.pool.checkedout())
            return super().request(method, url, **kwargs)

    first = case(db_session, storage, nanzhou, resolved_days_ago=1)
    second = case(db_session, storage, nanzhou, number="+8613900000077", resolved_days_ago=1)
    case(db_session, storage, nanzhou, number="+8613900000078", resolved_days_ago=1)
    db_session.commit()
    db_session.close()
    sessions = database(app).sessions
    delete_twilio_copy(sessions, AUTH, first["voicemail"].id, Watching())
    with sessions() as session:
        erase_number(
            session, sessions, app.config["IVR"], "+8613900000077", twilio_http_client=Watching()
        )
    enforce_retention(sessions, app.config["IVR"], twilio_http_client=Watching())
    assert seen == [0, 0, 0] and not second["path"].exists()
