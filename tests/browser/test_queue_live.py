"""The live queue in a real browser: an urgent voicemail arrives through Twilio's webhooks
while a worker has the queue open; the page shows it within a poll, with its cue."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.conftest import Twilio
from tests.ivr.console.conftest import world  # noqa: F401 - the shared fixture
from tests.ivr.console.test_live_queue import give_urgent_line, leave_voicemail

pytestmark = pytest.mark.browser


@pytest.fixture
def urgent_line(world, app, db_session):  # noqa: F811
    app.config["QUEUE_POLL_SECONDS"] = 1  # the page's data-interval: a poll a second
    hotline = give_urgent_line(db_session, world["stations"]["a"])
    twilio = Twilio(app.test_client(), public_url="http://127.0.0.1")
    return lambda sid, caller: leave_voicemail(twilio, sid, caller, hotline)


def rows(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(".ticket-row").all_inner_texts()


def test_an_urgent_voicemail_appears_with_its_cue(world, urgent_line, live_server, page, shots):  # noqa: F811
    sign_in(page, live_server, "worker-a")
    assert len(rows(page)) == 1
    assert page.locator("#queue-live-sound").is_checked()  # sound on by default
    page.fill("input[name=q]", "foo")  # a half-typed filter the update must not lose
    page.focus("input[name=q]")
    title = page.title()

    urgent_line("CA" + "1" * 32, "+8613911110001")
    page.wait_for_function("document.querySelectorAll('.ticket-row').length === 2", timeout=8000)
    urgent = page.locator(".ticket-row.live-urgent")
    assert urgent.count() == 1 and "紧急" in urgent.inner_text()
    assert page.locator(".live-alert").is_visible()
    assert "新的紧急工单" in page.inner_text(".live-alert")
    assert page.title() == f"(1 紧急) {title}"
    assert page.get_attribute("#queue-live", "data-tones") == "1"  # the tone was played
    assert page.input_value("input[name=q]") == "foo"
    assert page.evaluate("document.activeElement.name") == "q"
    assert "更新" in page.inner_text(".live-status")
    shots(page, "urgent-arrived")

    page.click(".live-ack")
    assert not page.locator(".live-alert").is_visible() and page.title() == title
    assert page.locator(".ticket-row.live-urgent").count() == 0


def test_the_sound_switch_is_remembered(world, urgent_line, live_server, page, shots):  # noqa: F811
    sign_in(page, live_server, "worker-a")
    page.click("#queue-live-sound")
    page.reload()
    assert not page.locator("#queue-live-sound").is_checked()

    urgent_line("CA" + "2" * 32, "+8613911110002")
    page.wait_for_selector(".ticket-row.live-urgent", timeout=8000)
    assert page.locator(".live-alert").is_visible()
    assert page.get_attribute("#queue-live", "data-tones") is None  # silent, as asked
    shots(page, "sound-off")

    page.click("#queue-live-sound")
    page.reload()
    assert page.locator("#queue-live-sound").is_checked()
