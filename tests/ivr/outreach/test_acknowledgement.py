"""The acknowledgement text, end to end: a voicemail through the webhooks, the worker's
job, Twilio's REST API faked at its HTTP boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ivr import jobs
from ivr.db import database
from ivr.outreach.sending import send, send_due
from models import OutboundMessage, OutboundState, Station, Ticket, TicketEventKind, utcnow
from tests.conftest import fresh
from tests.ivr.outreach.conftest import HOTLINE, MENU, MOBILE, run_message_jobs


def _messages(db_session) -> list[OutboundMessage]:
    return list(fresh(db_session).scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def _trail(db_session, ticket_id: int) -> list:
    ticket = fresh(db_session).get(Ticket, ticket_id)
    return [e for e in ticket.events if e.kind is TicketEventKind.MESSAGE]


def test_a_mobile_caller_gets_one_text_from_the_hotline_with_the_sla(
    app, station, resident, fake_api, db_session
):
    resident.voicemail()
    assert fake_api.sent("Messages") == []  # the webhook only queues it
    assert run_message_jobs(app) == ["sent"]
    [form] = fake_api.sent("Messages")
    assert form["To"] == MOBILE and form["From"] == HOTLINE
    assert form["Body"] == "您的留言已收到，南洲街社工站会在 24 小时内回电。"
    [message] = _messages(db_session)
    assert message.state is OutboundState.SENT and message.attempts == 1
    assert message.sid == fake_api.seen("Messages")[0].sid
    [event] = _trail(db_session, message.ticket_id)
    assert event.data["outcome"] == "sms_sent" and event.note == form["Body"]
    assert event.data["to"] == "+86139****5678"


def test_the_job_run_twice_sends_once(app, station, resident, fake_api, db_session):
    resident.voicemail()
    [message] = _messages(db_session)
    assert jobs.send_message(app, message.id) == "sent"
    assert jobs.send_message(app, message.id) is None
    assert run_message_jobs(app) == [None]  # the queued nudge finds it sent
    assert jobs.send_due_messages(app) == 0
    assert len(fake_api.seen("Messages")) == 1


def test_a_second_voicemail_on_the_same_ticket_is_not_acknowledged_again(
    app, station, resident, fake_api, db_session
):
    resident.voicemail()
    resident.voicemail()
    run_message_jobs(app)
    tickets = fresh(db_session).scalars(select(Ticket)).all()
    assert len(tickets) == 1
    assert len(_messages(db_session)) == 1 and len(fake_api.sent("Messages")) == 1


def test_the_chosen_language_and_the_stations_own_wording(
    app, station, resident, fake_api, db_session
):
    from ivr.menus.versions import save_version

    row = db_session.get(Station, station.id)
    row.acknowledgement_texts = {"yue": "{station}收到你嘅留言，{hours}個鐘內覆你。"}
    row.sla_normal_minutes = 90
    save_version(db_session, row, MENU.format(language="yue"), publish=True)
    db_session.commit()
    resident.voicemail()
    run_message_jobs(app)
    [form] = fake_api.sent("Messages")
    assert form["Body"] == "南洲街收到你嘅留言，2個鐘內覆你。"
    assert _messages(db_session)[0].language == "yue"


def test_no_text_to_landlines_withheld_numbers_or_when_the_station_says_no(
    app, station, resident, fake_api, db_session
):
    resident.voicemail(number="+862012345678")  # a Guangzhou landline
    resident.voicemail(number="+266696687")  # ANONYMOUS
    resident.voicemail(number="+85291234567")  # not a mainland mobile
    row = db_session.get(Station, station.id)
    row.acknowledge_by_sms = False
    db_session.commit()
    resident.voicemail(number="+8613700000001")
    assert run_message_jobs(app) == []
    assert _messages(db_session) == [] and fake_api.seen("Messages") == []
    assert len(fresh(db_session).scalars(select(Ticket)).all()) == 4


def _quiet_now(db_session, station) -> None:
    """Quiet hours around the station's present moment."""
    local = utcnow().astimezone(ZoneInfo(station.timezone))
    row = db_session.get(Station, station.id)
    row.quiet_hours_start = (local - timedelta(hours=1)).strftime("%H:%M")
    row.quiet_hours_end = (local + timedelta(hours=2)).strftime("%H:%M")
    db_session.commit()


def test_at_night_the_text_waits_for_the_morning(app, station, resident, fake_api, db_session):
    _quiet_now(db_session, station)
    resident.voicemail()
    assert run_message_jobs(app) == ["held_quiet_hours"]
    assert jobs.send_due_messages(app) == 0
    assert fake_api.seen("Messages") == []
    [message] = _messages(db_session)
    assert message.state is OutboundState.HELD_QUIET_HOURS and message.attempts == 0
    morning = message.send_after
    local_end = db_session.get(Station, station.id).quiet_hours_end
    assert morning.astimezone(ZoneInfo(station.timezone)).strftime("%H:%M") == local_end
    assert timedelta(hours=1) < morning - utcnow() <= timedelta(hours=2)
    [held] = _trail(db_session, message.ticket_id)
    assert held.data["outcome"] == "sms_held"

    db = database(app)
    client = app.extensions["ivr.twilio_http_client"]
    assert send_due(db.sessions, app.config["IVR"], client, morning - timedelta(minutes=1)) == 0
    assert send_due(db.sessions, app.config["IVR"], client, morning) == 1
    assert send_due(db.sessions, app.config["IVR"], client, morning) == 0
    assert len(fake_api.sent("Messages")) == 1
    assert _messages(db_session)[0].state is OutboundState.SENT
    outcomes = [e.data["outcome"] for e in _trail(db_session, message.ticket_id)]
    assert outcomes == ["sms_held", "sms_sent"]


def test_quiet_hours_use_the_stations_clock():
    from ivr.outreach.quiet_hours import quiet_until

    station = Station(timezone="Asia/Shanghai", quiet_hours_start="21:00", quiet_hours_end="08:00")
    late = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)  # 22:30 in Guangzhou
    assert quiet_until(station, late) == datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
    early = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)  # 07:00 the next day
    assert quiet_until(station, early) == datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
    assert quiet_until(station, datetime(2026, 12, 8, 0, 0, tzinfo=UTC)) is None  # 08:00
    assert quiet_until(station, datetime(2026, 12, 7, 12, 59, tzinfo=UTC)) is None  # 20:59
    station.timezone = "Not/AZone"  # an unusable zone reads as the city's
    assert quiet_until(station, late) is not None


def test_a_message_held_during_a_settings_change_still_goes(
    app, station, resident, fake_api, db_session
):
    resident.voicemail()
    [message] = _messages(db_session)
    db = database(app)
    later = utcnow() + timedelta(seconds=5)
    assert (
        send(db.sessions, app.config["IVR"], None, message.id, utcnow() - timedelta(hours=1))
        is None
    )
    client = app.extensions["ivr.twilio_http_client"]
    assert send(db.sessions, app.config["IVR"], client, message.id, later) is OutboundState.SENT
    assert len(fake_api.sent("Messages")) == 1


def test_erasing_a_resident_removes_their_number_and_text_but_keeps_their_stop(
    app, station, resident, fake_api, runner, db_session
):
    from models import SmsOptOut

    resident.voicemail()
    run_message_jobs(app)
    resident.texts("STOP")
    result = runner.invoke("privacy", "erase", MOBILE, "--yes", "--force")
    assert result.exit_code == 0, result.output
    [message] = _messages(db_session)
    assert message.to_number.startswith("+999") and message.body == ""
    assert message.state is OutboundState.SENT
    assert db_session.get(SmsOptOut, MOBILE).opted_out
