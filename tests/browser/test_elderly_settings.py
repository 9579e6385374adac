"""A station admin sees and changes the elderly-friendly settings in the menu editor, and
hears them in the test call, a flagged elderly resident's number included."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ivr.menus.drafts import versions
from models import Caller, CallerVulnerability, Vulnerability
from tests.browser.conftest import sign_in
from tests.conftest import fresh
from tests.ivr.admin.conftest import admin_world  # noqa: F401 - the shared fixture
from tests.ivr.console.conftest import world  # noqa: F401 - admin_world needs it

pytestmark = pytest.mark.browser


def test_the_settings_card_edits_and_checks_the_elderly_settings(
    admin_world,  # noqa: F811
    live_server,
    page,
    db_session,
    shots,
):
    station = admin_world["stations"]["a"]
    sign_in(page, live_server, "admin-a")
    page.goto(f"{live_server}/admin/stations/{station.id}/menu")
    card = page.locator(".settings-card")
    expect(card.locator("fieldset.elderly-settings")).to_be_visible()
    rate = card.locator('input[data-field="settings.speech_rate"]')
    expect(rate).to_have_value("85%")
    expect(card.locator('input[data-field="settings.key_timeout"]')).to_have_value("10")
    for name in ("repeat_key", "person_key", "elderly"):
        expect(page.locator(f"#setting-{name}")).to_be_checked()
    expect(card.locator('input[data-field="settings.elderly.next"]')).to_have_value("elderly_hours")
    # Nodes only the settings lead to are not "unreachable".
    expect(page.locator('.node-card[data-node="elderly_worker"]')).not_to_have_class(
        re.compile(r"\bunreachable\b")
    )
    shots(page, "editor-settings")

    # A bad rate is named at its field, in the settings card.
    rate.fill("300%")
    error = card.locator('[data-field="settings.speech_rate"] > .field-error')
    expect(error).to_contain_text("语速")
    expect(rate).to_have_attribute("aria-invalid", "true")
    rate.fill("70%")
    expect(page.locator("#validate-state")).to_have_text("检查通过")

    # A menu option on * while "press * to hear this again" is on: refused, naming the node.
    main = page.locator('.node-card[data-node="main"]')
    main.locator("button.add-option").click()
    main.locator('.option-row[data-key="6"] select').select_option("*")
    main.locator('input[data-field="options.*.next"]').fill("vm_general")
    expect(main.locator('.option-row[data-key="*"] > .field-error')).to_contain_text(
        "节点 'main' 把按键 '*' 用作了别的选项"
    )
    # Turning * off at this node alone resolves it.
    main.locator('input[data-field="repeat_key"]').uncheck()
    expect(page.locator("#validate-state")).to_have_text("检查通过")

    page.click("#save-draft")
    expect(page.locator(".flash.info")).to_contain_text("已保存草稿")
    (draft,) = versions(fresh(db_session), station.id)
    assert "speech_rate: 70%" in draft.document and "repeat_key: false" in draft.document


def test_the_test_call_recognises_a_flagged_elderly_resident(
    admin_world,  # noqa: F811
    live_server,
    page,
    db_session,
    shots,
):
    station = admin_world["stations"]["a"]
    resident = Caller(phone_number="+8613700000001", name="陈阿婆", home_station_id=station.id)
    resident.vulnerabilities = [CallerVulnerability(flag=Vulnerability.LONE_ELDERLY)]
    db_session.add(resident)
    db_session.commit()
    sign_in(page, live_server, "admin-a")
    page.goto(f"{live_server}/admin/stations/{station.id}/test-call")
    page.fill("#test-call-caller", "13700000001")
    page.click("button[name=event][value=start]")
    expect(page.locator("#test-call-caller-result")).to_contain_text("走适老快速通道")
    expect(page.locator("#transcript")).to_contain_text("我们认得您的号码")
    expect(page.locator("#transcript")).to_contain_text("语速 85%")
    shots(page, "test-call-elderly")
