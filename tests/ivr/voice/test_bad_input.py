"""Forged requests are refused; every other bad input still gets a spoken answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from models import Call, MenuStatus, MenuVersion
from tests.conftest import PUBLIC_URL, Twilio
from tests.ivr.voice.conftest import HOTLINE, RESIDENT
from tests.ivr.voice.helpers import Twiml

FORM = {"CallSid": "CA" + "9" * 32, "From": RESIDENT, "To": HOTLINE}


def _calls(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Call))


def test_a_missing_signature_is_refused_and_nothing_recorded(station, client, db_session):
    response = client.post("/twilio/voice", data=FORM)
    assert response.status_code == 403
    assert _calls(db_session) == 0


def test_a_forged_signature_is_refused(station, client, twilio, db_session):
    signature = twilio.signature(PUBLIC_URL + "/twilio/voice", FORM)
    tampered = {**FORM, "From": "+8613000000000"}
    response = client.post(
        "/twilio/voice", data=tampered, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
    wrong_token = Twilio(client, token="not-the-token")
    assert wrong_token.post("/twilio/voice", **FORM).status_code == 403
    assert _calls(db_session) == 0


def test_the_signature_is_checked_against_the_public_url_not_the_local_one(station, client, twilio):
    local = twilio.signature("http://localhost/twilio/voice", FORM)
    assert (
        client.post("/twilio/voice", data=FORM, headers={"X-Twilio-Signature": local}).status_code
        == 403
    )
    assert twilio.post("/twilio/voice", **FORM).status_code == 200


def test_query_parameters_are_part_of_what_is_signed(station, client, twilio):
    url = PUBLIC_URL + "/twilio/gather?m=u&n=sorry&l=zh"
    signature = twilio.signature(url, FORM)
    moved = client.post(
        "/twilio/gather?m=u&n=record&l=zh", data=FORM, headers={"X-Twilio-Signature": signature}
    )
    assert moved.status_code == 403


def test_the_development_switch_turns_the_check_off_and_says_so(make_app, caplog):
    app = make_app(IVR_INSECURE_SKIP_TWILIO_SIGNATURE="1")
    assert "NOT checked" in caplog.text
    response = app.test_client().post("/twilio/voice", data=FORM)
    assert response.status_code == 200


def test_an_unknown_node_or_menu_in_the_url_gets_an_apology_and_a_voicemail(station, call):
    for path in (
        "/twilio/gather?m=v999999&n=main&l=zh",
        "/twilio/gather?m=d1&n=nowhere&l=zh",
        "/twilio/gather?m=garbage&n=main&l=zh",
        "/twilio/dial?m=u&n=sorry&l=zh",
        "/twilio/gather",
    ):
        heard = Twiml.of(call(path, Digits="1"))
        assert "对不起，系统暂时出现故障" in heard.text(), path
        assert heard.verbs[-1] == "Record"
        assert "fallback=1" in heard.action("Record")


def test_a_broken_stored_menu_still_answers_the_caller(station, call, db_session):
    # Written behind the validator's back, as a bad migration or manual edit might.
    db_session.add(
        MenuVersion(station_id=station.id, version=99, status=MenuStatus.PUBLISHED, document="{{")
    )
    db_session.commit()
    heard = Twiml.of(call())
    assert "系统暂时出现故障" in heard.text() and heard.verbs[-1] == "Record"


def test_the_fallback_voicemail_thanks_and_never_loops(station, call):
    heard = Twiml.of(call("/twilio/recorded?m=u&n=record&l=zh&fallback=1", RecordingSid="RE1"))
    assert heard.verbs[-1] == "Hangup"
    broken = Twiml.of(call("/twilio/recorded?m=v424242&n=x&l=zh", RecordingSid="RE2"))
    assert broken.verbs[-1] == "Hangup" and broken.verb("Record") is None


def test_a_signed_request_without_a_call_sid_gets_spoken_twiml(station, twilio):
    heard = Twiml.of(twilio.post("/twilio/voice", To=HOTLINE))
    assert heard.verbs[-1] == "Record"


fields = st.dictionaries(
    st.sampled_from(
        [
            "CallSid",
            "From",
            "To",
            "Digits",
            "CallStatus",
            "CallDuration",
            "DialCallStatus",
            "RecordingSid",
            "RecordingDuration",
            "Junk",
        ]
    ),
    st.text(max_size=40),
    max_size=8,
)
paths = st.sampled_from(
    [
        "/twilio/voice",
        "/twilio/gather?m=u&n=sorry&l=zh",
        "/twilio/gather?m=d1&n=main&l=yue&a=9",
        "/twilio/dial?m=d1&n=forward_worker&l=zh&r=x",
        "/twilio/recorded?m=d1&n=vm_food&l=en",
        "/twilio/status",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=paths, form=fields)
def test_random_signed_payloads_never_get_an_error(station, twilio, path, form):
    response = twilio.post(path, **form)
    assert response.status_code == 200
    ET.fromstring(response.get_data(as_text=True))  # always well-formed TwiML


junk = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["²", "٣", "-1", "99999999999999999999", "１", "", "0x1", "\u0000"]),
)
query = st.dictionaries(st.sampled_from(["m", "n", "l", "a", "r", "fallback", "zz"]), junk)
webhooks = st.sampled_from(
    ["voice", "gather", "dial", "recorded", "recording", "status"]
    + ["bridge", "bridge-done", "bridge-status"]
)
call_fields = st.fixed_dictionaries(
    {},
    optional={
        "CallSid": st.one_of(st.just("CA" + "7" * 32), st.text(max_size=40)),
        "From": st.one_of(st.just(RESIDENT), st.text(max_size=20)),
        "To": st.one_of(st.just(HOTLINE), st.text(max_size=20)),
        "Digits": junk,
        "DialCallStatus": junk,
        "CallStatus": junk,
        "CallDuration": junk,
        "RecordingSid": st.one_of(st.just("RE" + "5" * 32), st.text(max_size=40)),
        "RecordingUrl": st.one_of(
            st.just("https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE5"), junk
        ),
        "RecordingDuration": junk,
        "RecordingStatus": st.sampled_from(["completed", "absent", "failed", "", "²"]),
    },
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=webhooks, params=query, form=call_fields)
def test_random_signed_webhooks_answer_twiml_and_keep_every_recording(
    app, station, twilio, db_session, name, params, form
):
    """Any path, query string and form, signed: valid TwiML (or an empty 2xx), and a
    recording Twilio reports with its call is stored or waiting in the spool."""
    from urllib.parse import urlencode

    from ivr.voice.spooled import spool_for
    from models import Voicemail

    path = f"/twilio/{name}" + (f"?{urlencode(params)}" if params else "")
    response = twilio.post(path, **form)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    if body:
        assert ET.fromstring(body).tag == "Response"
    control = dict.fromkeys([*range(32), 127])  # as the webhooks read a field
    sid = form.get("RecordingSid", "").translate(control).strip()[:64]
    call_sid = form.get("CallSid", "").translate(control).strip()
    if name in ("recorded", "recording") and sid and call_sid:
        db_session.expire_all()
        stored = db_session.scalar(select(Voicemail.id).where(Voicemail.recording_sid == sid))
        spooled = spool_for(app).status()
        assert stored is not None or spooled["depth"] + spooled["held"] > 0, (path, form)


def test_click_to_call_callbacks_with_junk_ids_answer_quietly(station, twilio):
    for path in ("bridge", "bridge-done", "bridge-status"):
        for odd in ("%C2%B2", "%D9%A3", "1" * 40, "-1"):
            response = twilio.post(f"/twilio/{path}?t={odd}&w={odd}", CallSid="CA1")
            assert response.status_code == 200, (path, odd)
            assert ET.fromstring(response.get_data(as_text=True)).tag == "Response"
