"""Every play of a recording leaves one audit row, whatever the Range header says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import AuditLog
from tests.conftest import fresh


def plays(db_session, username_id: int | None = None) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    query = select(AuditLog).where(AuditLog.action == "voicemail.play").order_by(AuditLog.id)
    if username_id is not None:
        query = query.where(AuditLog.user_id == username_id)
    return list(fresh(db_session).scalars(query))


@pytest.fixture
def audio_url(world) -> str:
    return f"/console/voicemails/{world['tickets']['a'].voicemails[0].id}/audio"


def test_a_browsers_play_is_one_row(world, login, db_session, audio_url):
    browser = login("worker-a")
    assert browser.get(audio_url, headers={"Range": "bytes=0-"}).status_code == 206
    for start in (100, 200, 300):
        browser.get(audio_url, headers={"Range": f"bytes={start}-"})
    [row] = plays(db_session)
    assert row.user_id == world["users"]["worker-a"].id and row.detail["range"] == "bytes=0-"


@pytest.mark.parametrize(
    "header",
    ["bytes=1-", "bytes=-100", "bytes=2000-2059"],
    ids=["from-byte-1", "suffix", "tail"],
)
def test_a_download_that_skips_byte_0_is_still_audited(world, login, db_session, audio_url, header):
    response = login("worker-a").get(audio_url, headers={"Range": header})
    assert response.status_code == 206 and len(response.get_data()) > 0
    [row] = plays(db_session)
    assert row.object_id == audio_url.split("/")[-2] and row.detail["range"] == header


@pytest.mark.parametrize("header", ["bytes=0-0,1-", "bytes=5-10,20-30", "bytes=x-y"])
def test_ranges_werkzeug_refuses_send_no_audio(world, login, db_session, audio_url, header):
    response = login("worker-a").get(audio_url, headers={"Range": header})
    assert response.status_code == 416 and b"RIFF" not in response.get_data()
    assert plays(db_session) == []  # nothing was played; the next request that is gets a row


def test_a_head_request_sends_no_audio_and_is_no_play(world, login, db_session, audio_url):
    response = login("worker-a").client.head(audio_url)
    assert response.status_code == 200 and response.get_data() == b""
    assert plays(db_session) == []


def test_a_later_range_continues_only_the_same_persons_recent_play(
    world, login, second_browser, db_session, audio_url
):
    login("worker-a").get(audio_url, headers={"Range": "bytes=0-"})
    colleague = second_browser
    assert colleague.login("colleague-a").status_code == 302
    colleague.get(audio_url, headers={"Range": "bytes=100-"})  # nobody else's play counts
    assert len(plays(db_session, world["users"]["colleague-a"].id)) == 1
    # An hour later the same continuation range is a new play.
    session = fresh(db_session)
    for row in session.scalars(select(AuditLog)):
        row.at -= timedelta(hours=1)
    session.commit()
    colleague.get(audio_url, headers={"Range": "bytes=100-"})
    assert len(plays(db_session, world["users"]["colleague-a"].id)) == 2


def test_playing_again_from_the_start_is_another_row(world, login, db_session, audio_url):
    browser = login("worker-a")
    browser.get(audio_url, headers={"Range": "bytes=0-"})
    browser.get(audio_url)
    assert len(plays(db_session)) == 2
