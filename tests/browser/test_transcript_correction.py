"""Correcting a transcript while listening, in a real browser at desktop and phone widths."""

from __future__ import annotations

import pytest

from models import Ticket, TicketEventKind
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.browser.test_ticket_page import spoken  # noqa: F401 - the shared fixture
from tests.conftest import fresh
from tests.ivr.console.conftest import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser

BOX = "#voicemail-{id} .correct-box"


def test_a_worker_corrects_the_transcript_while_listening(
    spoken,  # noqa: F811
    live_server,
    page,
    db_session,
    shots,
):
    ticket = spoken["tickets"]["a"]
    voicemail = ticket.voicemails[0]
    box = BOX.format(id=voicemail.id)
    sign_in(page, live_server, "worker-a")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    # Folded, the correction box leaves the common path where it was: no scrolling.
    assert page.locator(box).get_attribute("open") is None
    bottom = page.evaluate("document.querySelector('#resolve-form').getBoundingClientRect().bottom")
    assert bottom <= DESKTOP["height"]

    page.click(f"{box} summary")
    field = page.locator(f"{box} textarea")
    assert field.input_value() == "我想买米<script>x</script>"
    # Listening from the keyboard while typing: Alt+K plays, Alt+J goes back 3 s.
    field.focus()
    page.keyboard.press("Alt+KeyK")
    page.wait_for_function(
        f"!document.querySelector('#voicemail-{voicemail.id} audio').paused"
        f" && document.querySelector('#voicemail-{voicemail.id} audio').currentTime > 0.5"
    )
    page.keyboard.press("Alt+KeyK")
    assert page.evaluate(f"document.querySelector('#voicemail-{voicemail.id} audio').paused")
    page.keyboard.press("Alt+KeyJ")
    assert (
        page.evaluate(f"document.querySelector('#voicemail-{voicemail.id} audio').currentTime")
        < 0.5
    )
    field.fill("我想买米和油，谢谢")
    shots(page, "correcting")

    page.click(f"{box} button[type=submit]")
    page.wait_for_selector(".flash.info")
    corrected = page.locator(f"#voicemail-{voicemail.id} .transcript.corrected")
    assert corrected.inner_text().replace(" ", "") == "我想买米和油，谢谢"
    assert "张丽" in page.inner_text(f"#voicemail-{voicemail.id} .corrected-by")
    # Unchanged words still light up with the recording and seek it.
    first = corrected.locator(".word").first
    assert first.get_attribute("data-start") == "0.1"
    first.click()
    page.wait_for_function(
        f"document.querySelector('#voicemail-{voicemail.id} audio').currentTime >= 0.1"
    )
    page.evaluate(
        f"""() => {{ const a = document.querySelector('#voicemail-{voicemail.id} audio');
             a.pause(); a.currentTime = 0.2; a.dispatchEvent(new Event('timeupdate')); }}"""
    )
    assert "playing" in (first.get_attribute("class") or "")
    assert corrected.locator(".word.changed").count() >= 2
    page.click(f"#voicemail-{voicemail.id} .machine-text summary")
    assert "<script>" not in page.inner_html(f"#voicemail-{voicemail.id} .machine-text")
    assert "修改转写" in page.inner_text("#trail .e-transcript_corrected")
    shots(page, "corrected")

    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)
    row = fresh(db_session).get(Ticket, ticket.id)
    assert row.voicemails[0].transcript.text == "我想买米<script>x</script>"
    assert TicketEventKind.TRANSCRIPT_CORRECTED in [e.kind for e in row.events]


def test_a_stale_correction_keeps_what_was_typed(
    spoken,  # noqa: F811
    live_server,
    page,
    chromium,
    db_session,
    shots,
):
    ticket = spoken["tickets"]["a"]
    voicemail = ticket.voicemails[0]
    box = BOX.format(id=voicemail.id)
    sign_in(page, live_server, "worker-a")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    page.click(f"{box} summary")
    page.fill(f"{box} textarea", "我想买米和面")

    colleague = chromium.new_context(locale="zh-CN").new_page()
    sign_in(colleague, live_server, "colleague-a")
    colleague.goto(f"{live_server}/console/tickets/{ticket.id}")
    colleague.click(f"{box} summary")
    colleague.fill(f"{box} textarea", "我想买米和油")
    colleague.click(f"{box} button[type=submit]")
    colleague.wait_for_selector(".flash.info")
    colleague.context.close()

    page.click(f"{box} button[type=submit]")
    page.wait_for_selector("#changed")
    assert page.input_value(f"{box} textarea") == "我想买米和面"
    assert "李明" in page.inner_text("#changed")
    corrected = page.inner_text(f"#voicemail-{voicemail.id} .transcript.corrected")
    assert corrected.replace(" ", "") == "我想买米和油"  # the colleague's, now in force
    shots(page, "stale-correction")
    texts = [
        c.text
        for c in fresh(db_session).get(Ticket, ticket.id).voicemails[0].transcript.corrections
    ]
    assert texts == ["我想买米和油"]
    # Having seen it, sending mine again replaces it.
    page.click(f"{box} button[type=submit]")
    page.wait_for_selector(".flash.info")
    transcript = fresh(db_session).get(Ticket, ticket.id).voicemails[0].transcript
    assert [c.text for c in transcript.corrections] == ["我想买米和油", "我想买米和面"]
