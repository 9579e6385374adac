"""Inbound texts: STOP/退订 and START through the signed webhook; junk never a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import OutboundMessage, OutboundState, SmsOptOut, Ticket, TicketEventKind
from tests.conftest import fresh
from tests.ivr.outreach.conftest import MOBILE, run_message_jobs

EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'


@pytest.mark.parametrize(
    "word", ["STOP", " stop ", "Unsubscribe", "退订", "取消", "ＳＴＯＰ", "End!"]
)
def test_an_opt_out_word_stops_the_acknowledgement(
    app, station, resident, fake_api, db_session, word
):
    answer = resident.texts(word)
    assert answer.status_code == 200 and answer.get_data(as_text=True) == EMPTY
    resident.voicemail()
    assert run_message_jobs(app) == ["opted_out"]
    assert fake_api.seen("Messages") == []
    message = fresh(db_session).scalars(select(OutboundMessage)).one()
    assert message.state is OutboundState.OPTED_OUT
    ticket = db_session.get(Ticket, message.ticket_id)
    [event] = [e for e in ticket.events if e.kind is TicketEventKind.MESSAGE]
    assert event.data["outcome"] == "sms_opted_out"


def test_start_after_stop_lets_texts_through_again(app, station, resident, fake_api, db_session):
    resident.texts("退订")
    resident.texts("订阅")
    resident.voicemail()
    assert run_message_jobs(app) == ["sent"]
    assert len(fake_api.sent("Messages")) == 1
    row = fresh(db_session).get(SmsOptOut, MOBILE)
    assert row.opted_out is False and row.word == "订阅"


def test_a_stop_that_arrives_while_the_text_is_held_stops_it(
    app, station, resident, fake_api, db_session
):
    from datetime import timedelta

    from ivr.db import database
    from ivr.outreach.sending import send_due

    row = db_session.get(type(station), station.id)
    row.quiet_hours_start, row.quiet_hours_end = "00:00", "23:59"
    db_session.commit()
    resident.voicemail()
    assert run_message_jobs(app) == ["held_quiet_hours"]
    resident.texts("STOP")
    message = fresh(db_session).scalars(select(OutboundMessage)).one()
    client = app.extensions["ivr.twilio_http_client"]
    send_due(database(app).sessions, app.config["IVR"], client, message.send_after + timedelta(1))
    assert fresh(db_session).get(OutboundMessage, message.id).state is OutboundState.OPTED_OUT
    assert fake_api.seen("Messages") == []


def test_other_texts_change_nothing(app, station, resident, fake_api, db_session):
    for body in ["stop it please", "", "请回电", "STOP STOP"]:
        assert resident.texts(body).get_data(as_text=True) == EMPTY
    assert fresh(db_session).scalars(select(SmsOptOut)).all() == []


@pytest.mark.parametrize(
    "body",
    [
        "x" * 60_000,
        "退订" * 2_000,
        "\x00\x01\x1b[2J\x7f",
        "🙏" * 5000 + "\u202e\u200b\ufeff",
        "\U0010ffff\ufffe" * 100,
        "%00%ff<Response>]]>",
    ],
)
def test_junk_huge_or_unicode_heavy_bodies_never_reach_a_500(
    app, station, resident, db_session, body
):
    answer = resident.texts(body)
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == EMPTY
    assert fresh(db_session).scalars(select(SmsOptOut)).all() == []


def test_a_body_past_the_request_limit_is_refused_without_a_500(app, station, resident):
    answer = resident.texts("x" * 200_000)
    assert answer.status_code == 413


def test_stop_from_a_withheld_number_is_not_remembered(app, station, resident, db_session):
    assert resident.texts("STOP", number="+266696687").status_code == 200
    assert resident.texts("STOP", number="anonymous").status_code == 200
    assert fresh(db_session).scalars(select(SmsOptOut)).all() == []


def test_an_unsigned_text_is_refused(app, station, client, db_session):
    answer = client.post("/twilio/sms", data={"From": MOBILE, "Body": "STOP"})
    assert answer.status_code == 403
    forged = client.post(
        "/twilio/sms",
        data={"From": MOBILE, "Body": "STOP"},
        headers={"X-Twilio-Signature": "bm90LWEtc2lnbmF0dXJl"},
    )
    assert forged.status_code == 403
    assert fresh(db_session).scalars(select(SmsOptOut)).all() == []
