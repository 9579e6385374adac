"""The menu diagram and the test call in a real browser."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ivr.menus.versions import save_version
from models import Call, Voicemail
from tests.browser.conftest import sign_in
from tests.conftest import fresh
from tests.ivr.admin.conftest import admin_world, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

DRAFT = """\
start: main
languages: [zh]
nodes:
  main:
    kind: menu
    prompt: {zh: 需要买药请按2，其他请留言。}
    options: {2: vm_medicine}
    fallback: vm_general
  vm_medicine: {kind: voicemail, prompt: {zh: 请说出需要的药。}, tags: [medicine], priority: high}
  vm_general: {kind: voicemail, prompt: {zh: 请留言。}}
  old_notice: {kind: message, prompt: {zh: 旧的通知}, next: main}
"""


def test_the_diagram_shows_the_start_node_and_an_unreachable_one(
    admin_world,  # noqa: F811
    db_session,
    live_server,
    page,
    tmp_path,
):
    station = admin_world["stations"]["a"]
    save_version(db_session, station, DRAFT, publish=False)
    db_session.commit()
    sign_in(page, live_server, "admin-a")
    page.goto(f"{live_server}/admin/stations/{station.id}/menu/diagram")
    svg = page.locator("figure.diagram-frame svg[role=img]")
    assert svg.is_visible() and svg.bounding_box()["width"] > 600
    start = page.locator("g#node-main")
    assert start.is_visible() and "需要买药请按2" in start.text_content()
    assert page.locator("g#node-vm_medicine").is_visible()
    assert "⚠ 无法到达" in page.locator("g#node-old_notice").text_content()
    warnings = page.locator("#diagram-warnings li")
    assert warnings.count() == 1 and "从开始节点无法到达这里" in warnings.first.inner_text()
    page.screenshot(path=str(tmp_path / "diagram.png"), full_page=True)
    warnings.first.locator("a").click()
    page.wait_for_url("**#node-old_notice")


def test_a_test_call_clicked_on_the_keypad_ends_at_a_voicemail(
    admin_world,  # noqa: F811
    db_session,
    live_server,
    chromium,
    tmp_path,
):
    station = admin_world["stations"]["a"]
    save_version(db_session, station, DRAFT, publish=False)
    db_session.commit()
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, "admin-a")
    page.goto(f"{live_server}/admin/stations/{station.id}/test-call")
    assert page.locator("select[name=version] option:checked").inner_text().startswith("最新草稿")
    page.click("button[name=event][value=start]")
    page.wait_for_selector(".keypad")
    assert "需要买药请按2" in page.inner_text("#transcript")
    # A phone-width screen: the keypad fits, nothing spills sideways.
    assert page.locator(".keypad button[data-key='2']").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert width <= 0

    page.click(".keypad button[data-key='7']")  # not an option: the menu comes again
    page.wait_for_function("document.querySelectorAll('#transcript li.heard').length === 2")
    page.wait_for_selector(".keypad[data-ready]")  # the page's script listens for keys
    page.keyboard.press("2")  # typing a key presses it on the keypad
    page.wait_for_selector("text=进入留言")
    assert "标签：medicine；优先级：较急" in page.inner_text("#test-call-action")
    page.click("button[name=event][value=recorded]")
    outcome = page.wait_for_selector("#test-call-outcome")
    assert "以留言结束（标签：medicine；优先级：较急）" in outcome.inner_text()
    page.screenshot(path=str(tmp_path / "test-call.png"), full_page=True)
    context.close()
    fresh(db_session)
    assert db_session.scalar(select(func.count()).select_from(Call)) == 0
    assert db_session.scalar(select(func.count()).select_from(Voicemail)) == 2  # the world's
