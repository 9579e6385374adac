"""A worker's morning in the console, in a real browser."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Ticket, TicketEventKind, TicketStatus
from tests.browser.conftest import sign_in
from tests.conftest import fresh
from tests.fakes.speech import STEADY_PHRASE, synthesise
from tests.ivr.console.conftest import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def spoken(world, app, tmp_path_factory):  # noqa: F811
    """Give ticket A's voicemail real speech, so the player has something to play."""
    audio = synthesise(STEADY_PHRASE, tmp_path_factory.mktemp("b") / "v.wav").read_bytes()
    voicemail = world["tickets"]["a"].voicemails[0]
    (app.config["IVR"].storage_dir / voicemail.storage_path).write_bytes(audio)
    return world


def test_queue_ticket_audio_words_and_actions(spoken, live_server, page, db_session, shots):
    ticket = spoken["tickets"]["a"]
    sign_in(page, live_server, "worker-a")
    rows = page.locator(".ticket-row")
    assert rows.count() == 1 and f"#{ticket.id}" in rows.first.inner_text()
    shots(page, "queue")

    rows.first.locator("a").click()
    page.wait_for_url(f"**/console/tickets/{ticket.id}")
    assert "+86139****5678" in page.inner_text("#caller")

    # Play the recording: the word being spoken lights up.
    page.evaluate("document.querySelector('audio').play()")
    page.wait_for_function("document.querySelector('audio').currentTime > 0.15", timeout=15000)
    page.wait_for_selector(".word.playing", timeout=15000)
    # Click a word: the player seeks to it.
    page.evaluate("document.querySelector('audio').pause()")
    page.locator(".word").nth(2).click()
    seeked = page.evaluate("document.querySelector('audio').currentTime")
    assert 0.45 <= seeked <= 1.2
    page.evaluate("document.querySelector('audio').pause()")

    page.select_option("#attempt-form select[name=outcome]", "no_answer")
    page.fill("#attempt-form input[name=text]", "下午再打")
    page.click("#attempt-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    assert "无人接听" in page.inner_text("#trail") and "下午再打" in page.inner_text("#trail")

    page.select_option("#resolve-form select[name=category]", "food")
    page.fill("#resolve-form input[name=problems]", "2")
    page.click("#resolve-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    shots(page, "ticket")
    row = fresh(db_session).get(Ticket, ticket.id)
    assert row.status is TicketStatus.RESOLVED and row.problems_solved == 2
    assert [e.kind for e in row.events] == [
        TicketEventKind.CALLBACK_ATTEMPT,
        TicketEventKind.RESOLVED,
    ]


def test_a_referral_reaches_the_other_station(world, live_server, page, chromium, db_session):  # noqa: F811
    ticket = world["tickets"]["a"]
    sign_in(page, live_server, "worker-a")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    page.click("#refer-box summary")
    page.select_option("#refer-form select[name=station]", "baiyun-tongde")
    page.fill("#refer-form input[name=reason]", "居民住在同德街")
    page.click("#refer-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    assert "居民住在同德街" in page.inner_text("#trail")

    other = chromium.new_context(locale="zh-CN").new_page()
    sign_in(other, live_server, "worker-b")
    assert f"#{ticket.id}" in other.inner_text(".tickets")
    other.goto(f"{live_server}/console/tickets/{ticket.id}")
    assert "南洲街 → 同德街" in other.inner_text("#trail")  # names, not codes
    other.context.close()
    assert (
        fresh(db_session).scalar(select(Ticket.station_id).where(Ticket.id == ticket.id))
        == world["stations"]["b"].id
    )


def test_station_a_cannot_open_station_b_s_ticket(world, live_server, page):  # noqa: F811
    sign_in(page, live_server, "worker-a")
    response = page.goto(f"{live_server}/console/tickets/{world['tickets']['b'].id}")
    assert response.status == 404
    audio = page.goto(
        f"{live_server}/console/voicemails/{world['tickets']['b'].voicemails[0].id}/audio"
    )
    assert audio.status == 404
