from __future__ import annotations

import re
from datetime import timedelta

import pytest

from ivr.stations.users import create_user
from models import (
    Caller,
    CallerVulnerability,
    Role,
    Ticket,
    Transcript,
    Voicemail,
    VoicemailState,
    Vulnerability,
    utcnow,
)
from tests import factories

PASSWORD = "correct horse battery"
RESIDENT_A = "+8613912345678"
RESIDENT_B = "+8613987654321"
WAV = b"RIFF" + b"\x24\x08\x00\x00WAVEfmt " + b"\x00" * 2048  # bytes to stream; not decoded here


@pytest.fixture
def world(db_session, tmp_path, app):
    """Two districts; 南洲街 and 凤阳街 in 海珠区, 同德街 in 白云区; a ticket at each of A and B."""
    haizhu = factories.district(db_session, code="haizhu", name_zh="海珠区")
    baiyun = factories.district(db_session, code="baiyun", name_zh="白云区")
    a = factories.station(db_session, haizhu, code="haizhu-nanzhou", name_zh="南洲街")
    a2 = factories.station(db_session, haizhu, code="haizhu-fengyang", name_zh="凤阳街")
    b = factories.station(db_session, baiyun, code="baiyun-tongde", name_zh="同德街")
    users = {}
    for name, role, station, district in [
        ("worker-a", Role.WORKER, "haizhu-nanzhou", None),
        ("colleague-a", Role.WORKER, "haizhu-nanzhou", None),
        ("worker-b", Role.WORKER, "baiyun-tongde", None),
        ("haizhu-admin", Role.DISTRICT_ADMIN, None, "haizhu"),
        ("city", Role.CITY_ADMIN, None, None),
    ]:
        users[name] = create_user(db_session, name, PASSWORD, role, station, district)
    storage = app.config["IVR"].storage_dir
    tickets = {}
    for key, station, number, name in [
        ("a", a, RESIDENT_A, "连姐<script>alert(1)</script>"),
        ("b", b, RESIDENT_B, "王伯"),
    ]:
        caller = Caller(phone_number=number, name=name)
        caller.vulnerabilities = [CallerVulnerability(flag=Vulnerability.LONE_ELDERLY)]
        db_session.add(caller)
        db_session.flush()
        now = utcnow()
        ticket = Ticket(
            station_id=station.id,
            caller_id=caller.id,
            caller_number=number,
            due_at=now + timedelta(hours=24),
            opened_at=now,
        )
        db_session.add(ticket)
        db_session.flush()
        relative = f"{station.code}/{key}.wav"
        (storage / station.code).mkdir(parents=True, exist_ok=True)
        (storage / relative).write_bytes(WAV)
        voicemail = Voicemail(
            recording_sid=f"RE{key * 32}",
            station_id=station.id,
            caller_id=caller.id,
            ticket_id=ticket.id,
            state=VoicemailState.TRANSCRIBED,
            storage_path=relative,
            size_bytes=len(WAV),
            created_at=now,
        )
        voicemail.transcript = Transcript(
            text="我想买米<script>x</script>",
            raw_text="我 想 买 米",
            language="zh",
            model="m",
            words=[
                {"word": "我", "start": 0.1, "end": 0.3, "conf": 0.95},
                {"word": "想", "start": 0.3, "end": 0.5, "conf": 0.4},
                {"word": "<b>米</b>", "start": 0.5, "end": 0.9, "conf": 0.9},
            ],
            confidence=0.75,
            audio_seconds=1.0,
            decode_seconds=0.1,
            created_at=now,
        )
        db_session.add(voicemail)
        tickets[key] = ticket
    db_session.commit()
    return {"stations": {"a": a, "a2": a2, "b": b}, "users": users, "tickets": tickets}


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A signed-in person in the console, through Flask's test client."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client

    def token(self, path: str = "/console/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        return TOKEN.search(page).group(1)

    def login(self, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        return self.client.post(
            "/console/login",
            data={"username": username, "password": password, "csrf_token": self.token()},
        )

    def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kw)

    def post(self, path: str, page: str | None = None, **form: str):  # type: ignore[no-untyped-def]
        form.setdefault("csrf_token", self.token(page or "/console/"))
        return self.client.post(path, data=form, follow_redirects=True)


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def login(app, browser):
    def sign_in(username: str) -> Browser:
        response = browser.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return sign_in


@pytest.fixture
def second_browser(app):
    return Browser(app.test_client())
