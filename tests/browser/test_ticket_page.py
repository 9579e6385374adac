"""A worker's path through one ticket, in a real browser at desktop and phone widths."""

from __future__ import annotations

import pytest

from models import Ticket, TicketEventKind, TicketStatus, User
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.conftest import fresh
from tests.fakes.speech import STEADY_PHRASE, synthesise
from tests.ivr.console.conftest import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser

COMMON_PATH = ("audio", "#call-form", "#attempt-form", "#note-form", "#resolve-form")


@pytest.fixture
def spoken(world, app, db_session, tmp_path_factory):  # noqa: F811
    """Ticket A's voicemail with real speech; the workers with names."""
    audio = synthesise(STEADY_PHRASE, tmp_path_factory.mktemp("b") / "v.wav").read_bytes()
    voicemail = world["tickets"]["a"].voicemails[0]
    (app.config["IVR"].storage_dir / voicemail.storage_path).write_bytes(audio)
    for username, name in (("worker-a", "张丽"), ("colleague-a", "李明")):
        db_session.get(User, world["users"][username].id).display_name = name
    db_session.commit()
    return world


def _bottoms(page) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """(selectors) => Object.fromEntries(selectors.map((s) => {
             const box = document.querySelector(s).getBoundingClientRect();
             return [s, box.bottom];
           }))""",
        list(COMMON_PATH),
    )


def test_listen_call_back_note_and_resolve_need_no_scrolling(spoken, live_server, page, shots):
    ticket = spoken["tickets"]["a"]
    sign_in(page, live_server, "worker-a")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    assert page.evaluate("window.scrollY") == 0
    for selector, bottom in _bottoms(page).items():
        assert bottom <= DESKTOP["height"], (selector, bottom)
    # The rarer actions are there, folded.
    for box in ("#assign-box", "#refer-box", "#tags-box", "#priority-box"):
        assert page.locator(box).get_attribute("open") is None
    shots(page, "ticket")

    # At phone width: one column, nothing wider than the screen, listening first.
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    bottoms = _bottoms(page)
    assert bottoms["audio"] <= PHONE["height"]
    assert bottoms["audio"] < bottoms["#call-form"] < bottoms["#resolve-form"]

    page.set_viewport_size(DESKTOP)
    page.fill("#note-form textarea", "已联系居委会")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    assert "张丽" in page.inner_text("#trail .e-note")


def test_a_stale_note_keeps_its_text_and_shows_what_changed(
    spoken, live_server, page, chromium, db_session, shots
):
    ticket = spoken["tickets"]["a"]
    sign_in(page, live_server, "worker-a")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    page.fill("#note-form textarea", "居民说米够了，还缺食用油")

    colleague = chromium.new_context(locale="zh-CN").new_page()
    sign_in(colleague, live_server, "colleague-a")
    colleague.goto(f"{live_server}/console/tickets/{ticket.id}")
    colleague.select_option("#attempt-form select[name=outcome]", "reached")
    colleague.fill("#attempt-form input[name=text]", "已送米")
    colleague.click("#attempt-form button[type=submit]")
    colleague.wait_for_selector(".flash.info")
    colleague.context.close()

    page.click("#note-form button[type=submit]")
    page.wait_for_selector("#changed")
    assert page.input_value("#note-form textarea") == "居民说米够了，还缺食用油"
    changed = page.inner_text("#changed")
    assert "李明" in changed and "已联系上" in changed and "已送米" in changed
    shots(page, "stale")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    row = fresh(db_session).get(Ticket, ticket.id)
    assert [e.kind for e in row.events] == [
        TicketEventKind.CALLBACK_ATTEMPT,
        TicketEventKind.NOTE,
    ]
    assert row.events[-1].note == "居民说米够了，还缺食用油"


def test_the_referral_target_is_found_by_typing_and_named_in_the_trail(
    spoken, live_server, page, shots
):
    ticket = spoken["tickets"]["a"]
    sign_in(page, live_server, "worker-a")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    page.click("#refer-box summary")
    page.fill("#station-filter", "白云")
    visible = page.evaluate(
        "[...document.querySelectorAll('#station-select option[data-search]')]"
        ".filter((o) => !o.hidden).map((o) => o.value)"
    )
    assert visible == ["baiyun-tongde"]
    assert page.input_value("#station-select") == "baiyun-tongde"  # the one match, chosen
    page.fill("#station-filter", "")
    page.fill("#station-filter", "凤阳")
    assert page.input_value("#station-select") == "haizhu-fengyang"
    page.fill("#refer-form input[name=reason]", "居民住在凤阳街")
    shots(page, "referral")
    page.click("#refer-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    referral = page.inner_text("#trail .e-referred")
    assert "南洲街 → 凤阳街" in referral and "张丽" in referral


def test_the_referral_works_without_javascript(spoken, live_server, chromium, db_session):
    ticket = spoken["tickets"]["a"]
    page = chromium.new_context(locale="zh-CN", java_script_enabled=False).new_page()
    sign_in(page, live_server, "worker-a")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    assert page.locator("#station-filter").is_hidden()  # the filter needs the script
    page.click("#refer-box summary")
    labels = page.locator("#station-select optgroup").evaluate_all("(gs) => gs.map((g) => g.label)")
    assert labels == ["海珠区", "白云区"]
    page.select_option("#station-select", "baiyun-tongde")
    page.fill("#refer-form input[name=reason]", "居民住在同德街")
    page.click("#refer-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    assert fresh(db_session).get(Ticket, ticket.id).station_id == spoken["stations"]["b"].id


def test_a_resolved_ticket_reopens_with_a_reason_and_takes_chinese_tags(
    spoken, live_server, page, db_session, shots
):
    ticket = spoken["tickets"]["a"]
    sign_in(page, live_server, "worker-a")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    page.click("#tags-box summary")
    page.fill("#tags-form input[name=tags]", "买菜， 药品、轮椅")
    page.click("#tags-form button[type=submit]")
    page.wait_for_selector(".flash.info")
    tags = page.inner_text("#caller .tags")
    assert "买菜" in tags and "药品" in tags and "轮椅" in tags

    page.select_option("#resolve-form select[name=category]", "food")
    page.click("#resolve-form button[type=submit]")
    page.wait_for_selector("#reopen-form")
    page.fill("#reopen-form input[name=reason]", "居民又来电：油没送到")
    shots(page, "resolved")
    page.click("#reopen-form button[type=submit]")
    page.wait_for_selector("#resolve-form")
    assert "油没送到" in page.inner_text("#trail .e-reopened")
    row = fresh(db_session).get(Ticket, ticket.id)
    assert row.status is TicketStatus.OPEN and row.resolved_at is None
    assert {t.code for t in row.tags} == {"买菜", "medicine", "轮椅"}
    page.goto(f"{live_server}/console/?tag=买菜")
    assert f"#{ticket.id}" in page.inner_text("main")
