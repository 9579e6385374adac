"""Urgent alerts end to end: the real webhooks, the worker's jobs, Twilio's REST API
faked at its HTTP boundary."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, update

from ivr.jobs import escalate_alerts, raise_alerts
from models import Alert, AlertState, PeriodicRun, Ticket, TicketEventKind, utcnow
from tests.conftest import TWILIO_ACCOUNT_SID, fresh
from tests.ivr.alerts.conftest import (
    DISTRICT_PHONE,
    HOTLINE,
    NEXT_ON_ROSTER,
    ON_DUTY,
    run_jobs,
)


def _alerts(db_session) -> list[Alert]:  # type: ignore[no-untyped-def]
    return fresh(db_session).query(Alert).order_by(Alert.step).all()


def _trail(db_session, ticket_id: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    ticket = fresh(db_session).get(Ticket, ticket_id)
    return [
        (e.data["step"], e.data["outcome"])
        for e in ticket.events
        if e.kind is TicketEventKind.ALERT
    ]


def _minutes_pass(app, db_session) -> None:  # type: ignore[no-untyped-def]
    """The escalation wait runs out, and it is the next minute's pass."""
    db_session.execute(
        update(Alert)
        .where(Alert.due_at.is_not(None))
        .values(due_at=utcnow() - timedelta(seconds=1))
    )
    db_session.execute(delete(PeriodicRun))
    db_session.commit()


def test_an_urgent_voicemail_texts_the_on_duty_phone_once(app, resident, fake_api, db_session):
    resident.leaves_urgent_voicemail()
    assert fake_api.requests == []  # never from the webhook itself
    assert run_jobs(app, only="ivr.raise_alerts") == [["sent"]]
    [sms] = fake_api.sent("Messages")
    assert sms["To"] == ON_DUTY and sms["From"] == HOTLINE
    assert "南洲街" in sms["Body"] and "紧急工单" in sms["Body"] and "就医" in sms["Body"]
    [alert] = _alerts(db_session)
    assert sms["Body"].endswith(f"https://hotline.example.org/console/tickets/{alert.ticket_id}")
    assert "（录音尚未转写）" in sms["Body"]
    assert alert.state is AlertState.SENT and alert.sid == fake_api.seen("Messages")[0].sid
    assert fake_api.seen("Messages")[0].path.startswith(
        f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/"
    )

    # The job runs again (Twilio retried the webhook, a consumer re-ran it): no second SMS.
    assert raise_alerts(app, ticket_id=alert.ticket_id) == []
    assert escalate_alerts(app)["sent"] == 0
    assert len(fake_api.seen("Messages")) == 1
    assert _trail(db_session, alert.ticket_id) == [(0, "sent")]


def test_unopened_it_escalates_up_the_roster_then_to_the_district(
    app, resident, fake_api, db_session
):
    resident.leaves_urgent_voicemail()
    run_jobs(app, only="ivr.raise_alerts")
    assert escalate_alerts(app)["escalated"] == 0  # not yet due

    _minutes_pass(app, db_session)
    assert escalate_alerts(app)["sent"] == 1
    [call] = fake_api.sent("Calls")
    assert call["To"] == NEXT_ON_ROSTER and call["From"] == HOTLINE
    assert call["Twiml"].startswith("<?xml") and "<Say" in call["Twiml"]
    assert "南洲街" in call["Twiml"] and 'language="cmn-CN"' in call["Twiml"]

    _minutes_pass(app, db_session)
    escalate_alerts(app)
    assert [c["To"] for c in fake_api.sent("Calls")] == [NEXT_ON_ROSTER, DISTRICT_PHONE]

    _minutes_pass(app, db_session)
    assert escalate_alerts(app)["escalated"] == 0  # the district was the last step
    alerts = _alerts(db_session)
    assert [(a.step, a.channel.value, a.state.value) for a in alerts] == [
        (0, "sms", "sent"),
        (1, "call", "sent"),
        (2, "call", "sent"),
    ]
    assert _trail(db_session, alerts[0].ticket_id) == [(0, "sent"), (1, "sent"), (2, "sent")]


def test_opening_the_ticket_in_the_console_stops_the_escalation(
    app, resident, fake_api, worker, db_session
):
    resident.leaves_urgent_voicemail()
    run_jobs(app, only="ivr.raise_alerts")
    [alert] = _alerts(db_session)
    page = worker.get(f"/console/tickets/{alert.ticket_id}").get_data(as_text=True)
    assert "紧急提醒" in page and "停止升级" in page
    worker.get(f"/console/tickets/{alert.ticket_id}")  # a second look records nothing more

    _minutes_pass(app, db_session)
    assert escalate_alerts(app)["escalated"] == 0
    assert fake_api.sent("Calls") == []
    [alert] = _alerts(db_session)
    assert alert.opened_at is not None
    assert _trail(db_session, alert.ticket_id) == [(0, "sent"), (0, "opened")]


def test_a_rate_limit_is_recorded_and_retried_a_refusal_given_up(
    app, resident, fake_api, db_session
):
    fake_api.fail("Messages", 429, 20429, "Too Many Requests")
    resident.leaves_urgent_voicemail()
    assert run_jobs(app, only="ivr.raise_alerts") == [["retrying"]]
    [alert] = _alerts(db_session)
    assert alert.state is AlertState.RETRYING and alert.error_code == 20429
    assert "Too Many Requests" in alert.last_error and alert.next_try_at > utcnow()

    db_session.execute(update(Alert).values(next_try_at=utcnow()))
    db_session.commit()
    assert escalate_alerts(app)["sent"] == 1
    assert len(fake_api.sent("Messages")) == 1 and len(fake_api.seen("Messages")) == 2

    # The escalation call goes to a landline Twilio will not ring: given up, with its code.
    fake_api.fail("Calls", 400, 21215, "Geo permission not enabled")
    _minutes_pass(app, db_session)
    assert escalate_alerts(app)["given_up"] == 1
    step1 = _alerts(db_session)[1]
    assert step1.state is AlertState.GIVEN_UP and step1.error_code == 21215
    _minutes_pass(app, db_session)
    escalate_alerts(app)  # the chain goes on to the district all the same
    assert [c["To"] for c in fake_api.sent("Calls")] == [DISTRICT_PHONE]
    assert _trail(db_session, alert.ticket_id) == [
        (0, "retrying"),
        (0, "sent"),
        (1, "given_up"),
        (2, "sent"),
    ]


def test_too_many_failures_are_given_up(app, resident, fake_api, db_session):
    for _ in range(3):
        fake_api.fail("Messages", 503, 20503, "Service Unavailable")
    resident.leaves_urgent_voicemail()
    run_jobs(app, only="ivr.raise_alerts")
    for _ in range(2):
        db_session.execute(update(Alert).values(next_try_at=utcnow()))
        db_session.execute(delete(PeriodicRun))
        db_session.commit()
        escalate_alerts(app)
    [alert] = _alerts(db_session)
    assert alert.state is AlertState.GIVEN_UP and alert.attempts == 3
    assert fake_api.sent("Messages") == []


def test_a_missed_forward_alerts_the_same_way(app, resident, fake_api, db_session):
    resident.misses_the_forward()
    run_jobs(app, only="ivr.raise_alerts")
    [sms] = fake_api.sent("Messages")
    assert sms["To"] == ON_DUTY and "值班电话无人接听" in sms["Body"]
    [alert] = _alerts(db_session)
    assert alert.kind.value == "missed_forward"


def test_a_normal_voicemail_alerts_nobody(app, resident, fake_api, db_session, twilio):
    from tests.ivr.voice.helpers import Twiml

    menu = Twiml.of(resident.post("/twilio/voice"))
    record = Twiml.of(resident.post(menu.action("Gather"), Digits="2"))  # a normal need
    resident.post(record.action("Record"), RecordingSid="RE" + "5" * 32, RecordingDuration="3")
    run_jobs(app, only="ivr.raise_alerts")
    escalate_alerts(app)
    assert fake_api.requests == [] and _alerts(db_session) == []


def test_a_station_that_turned_alerts_off_is_not_alerted(
    app, resident, station, fake_api, db_session
):
    station.alerts_enabled = False
    db_session.add(station)
    db_session.commit()
    resident.leaves_urgent_voicemail()
    run_jobs(app, only="ivr.raise_alerts")
    assert fake_api.requests == []


def test_the_pass_catches_an_urgent_ticket_whose_nudge_was_lost(
    app, resident, fake_api, db_session
):
    resident.leaves_urgent_voicemail()
    app.extensions["ivr.huey"].flush()  # the queue lost the job
    assert escalate_alerts(app)["started"] == 1
    assert [m["To"] for m in fake_api.sent("Messages")] == [ON_DUTY]
