"""Sign-in, sessions, CSRF, and scope: another station's things answer 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditLog
from tests.conftest import fresh


def test_the_console_asks_for_a_sign_in(world, browser):
    response = browser.get("/console/")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_a_wrong_password_is_refused_without_saying_which_part(world, browser):
    response = browser.login("worker-a", "wrong password")
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    unknown = browser.login("nobody", "whatever")
    assert unknown.status_code == 401 and "用户名或密码不正确" in unknown.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(world, login):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    response = browser.client.post(f"/console/tickets/{ticket.id}/note", data={"text": "hi"})
    assert response.status_code == 400


def test_login_itself_needs_the_csrf_token(world, client):
    response = client.post("/console/login", data={"username": "worker-a", "password": "x"})
    assert response.status_code == 400


def test_the_queue_shows_my_station_only(world, login):
    page = login("worker-a").get("/console/").get_data(as_text=True)
    assert f"#{world['tickets']['a'].id}" in page
    assert f"#{world['tickets']['b'].id}" not in page


@pytest.mark.parametrize(
    "path",
    [
        "/console/tickets/{b}",
        "/console/voicemails/{vb}/audio",
        "/console/callers/{cb}",
        "/console/tickets/999999",
    ],
)
def test_another_stations_things_answer_404(world, login, path):
    b = world["tickets"]["b"]
    url = path.format(b=b.id, vb=b.voicemails[0].id, cb=b.caller_id)
    assert login("worker-a").get(url).status_code == 404


@pytest.mark.parametrize("action", ["note", "tags", "attempt", "assign", "refer", "resolve"])
def test_another_stations_ticket_cannot_be_changed(world, login, action):
    browser = login("worker-a")
    b = world["tickets"]["b"]
    response = browser.client.post(
        f"/console/tickets/{b.id}/{action}",
        data={"csrf_token": browser.token("/console/"), "text": "x", "claim": "1"},
    )
    assert response.status_code == 404


def test_a_district_admin_sees_the_district_and_nothing_else(world, login):
    browser = login("haizhu-admin")
    assert browser.get(f"/console/tickets/{world['tickets']['a'].id}").status_code == 200
    assert browser.get(f"/console/tickets/{world['tickets']['b'].id}").status_code == 404


def test_a_city_admin_sees_everything(world, login):
    browser = login("city")
    for ticket in world["tickets"].values():
        assert browser.get(f"/console/tickets/{ticket.id}").status_code == 200


def test_log_out_everywhere_ends_other_sessions(world, login, second_browser):
    first = login("worker-a")
    second_browser.login("worker-a")
    assert second_browser.get("/console/").status_code == 200
    first.post("/console/logout-everywhere")
    assert second_browser.get("/console/").status_code == 302


def test_the_session_cookie_is_locked_down(world, browser):
    response = browser.login("worker-a")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_audio_streams_in_ranges_and_each_play_is_audited(world, login, db_session):
    browser = login("worker-a")
    voicemail = world["tickets"]["a"].voicemails[0]
    url = f"/console/voicemails/{voicemail.id}/audio"
    first = browser.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206
    assert first.headers["Content-Range"].startswith("bytes 0-99/")
    assert len(first.get_data()) == 100
    rest = browser.get(url, headers={"Range": "bytes=100-"})
    assert rest.status_code == 206
    plays = (
        fresh(db_session).scalars(select(AuditLog).where(AuditLog.action == "voicemail.play")).all()
    )
    assert len(plays) == 1 and plays[0].object_id == str(voicemail.id)
    assert plays[0].user_id == world["users"]["worker-a"].id
