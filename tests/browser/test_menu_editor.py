"""A station admin edits, checks, saves, publishes and rolls back a menu in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ivr.menus.drafts import versions
from ivr.menus.versions import published_version
from tests.browser.conftest import sign_in
from tests.conftest import fresh
from tests.ivr.admin.conftest import admin_world  # noqa: F401 - the shared fixture
from tests.ivr.console.conftest import world  # noqa: F401 - admin_world needs it

pytestmark = pytest.mark.browser


def test_edit_in_the_tree_publish_and_roll_back(
    admin_world,  # noqa: F811
    live_server,
    page,
    db_session,
    tmp_path,
):
    station = admin_world["stations"]["a"]
    sign_in(page, live_server, "admin-a")
    page.goto(f"{live_server}/admin/stations/{station.id}/menu")
    main = page.locator('.node-card[data-node="main"]')
    expect(main).to_be_visible()
    expect(page.locator("#yaml-view")).to_be_hidden()

    # Edit a prompt, then break option 1: the error appears on main's card, by the option.
    main.locator('textarea[data-field="prompt.zh"]').fill("南洲街热线：要米面粮油请按1")
    option = main.locator('input[data-field="options.1.next"]')
    option.fill("nowhere")
    expect(main.locator('.option-row[data-key="1"] > .field-error')).to_contain_text(
        "没有这个节点：'nowhere'"
    )
    expect(main).to_have_class(re.compile(r"\bhas-errors\b"))
    expect(main.locator(".problem-count")).to_have_text("此节点有 1 个问题")
    expect(option).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(tmp_path / "broken.png"), full_page=True)

    option.fill("vm_food")
    expect(main).not_to_have_class(re.compile(r"\bhas-errors\b"))
    expect(page.locator("#validate-state")).to_have_text("检查通过")

    page.fill("input[name=note]", "改欢迎语")
    page.click("#save-draft")
    expect(page.locator(".flash.info")).to_contain_text("已保存草稿：第1版")
    (draft,) = versions(fresh(db_session), station.id)
    assert "南洲街热线：要米面粮油请按1" in draft.document and draft.note == "改欢迎语"

    page.click("#publish")
    expect(page.locator("#diff-title")).to_contain_text("线上：默认模板 → 将发布")
    page.click("#confirm-publish")
    expect(page.locator(".flash.info")).to_contain_text("已发布第2版")
    first_live = published_version(fresh(db_session), station.id)
    assert first_live.version == 2 and first_live.document == draft.document

    # A second wording, published too.
    page.locator('.node-card[data-node="main"] textarea[data-field="prompt.zh"]').fill(
        "第二版欢迎语，请按1"
    )
    expect(page.locator("#validate-state")).to_have_text("检查通过")
    page.click("#publish")
    expect(page.locator(".diff-lines tr.add")).to_contain_text("第二版欢迎语，请按1")
    page.click("#confirm-publish")
    expect(page.locator(".flash.info")).to_contain_text("已发布第3版")

    # History: version 3 against version 2, lines marked; then back to version 2.
    page.click("nav.tabs >> text=版本历史")
    expect(page.locator("#version-3")).to_have_class(re.compile(r"\blive\b"))
    expect(page.locator(".diff-lines tr.add")).to_contain_text("第二版欢迎语，请按1")
    expect(page.locator(".diff-lines tr.remove")).to_contain_text("南洲街热线：要米面粮油请按1")
    expect(page.locator(".node-summary")).to_contain_text("main")
    page.screenshot(path=str(tmp_path / "history.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#version-2 button", has_text="回滚到此版本").click()
    expect(page.locator(".flash.info")).to_contain_text("第2版的内容已发布为第4版")
    expect(page.locator("#version-4")).to_have_class(re.compile(r"\blive\b"))
    live = published_version(fresh(db_session), station.id)
    assert live.version == 4 and live.document == first_live.document


def test_the_yaml_view_shows_problems_with_lines_and_converts_back(
    admin_world,  # noqa: F811
    live_server,
    page,
):
    station = admin_world["stations"]["a"]
    sign_in(page, live_server, "admin-a")
    page.goto(f"{live_server}/admin/stations/{station.id}/menu")
    page.click("#view-switch button[data-view=yaml]")
    textarea = page.locator("#yaml")
    expect(textarea).to_be_visible()
    text = textarea.input_value()
    assert text.startswith("start: main\n")
    broken = text.replace("fallback: vm_general", "fallback: vm_nowhere")
    line = broken.splitlines().index("    fallback: vm_nowhere") + 1
    textarea.fill(broken)
    problem = page.locator("#problems .problem-list.errors li")
    expect(problem).to_contain_text("没有这个节点：'vm_nowhere'")
    expect(problem).to_contain_text(f"第{line}行")

    # Back in the tree, the same error sits on the node's card.
    page.click("#view-switch button[data-view=tree]")
    fallback = page.locator('.node-card[data-node="main"] .field[data-field="fallback"]')
    expect(fallback.locator(".field-error")).to_contain_text("没有这个节点：'vm_nowhere'")
    expect(fallback.locator("input")).to_have_value("vm_nowhere")


def test_the_editor_and_history_fit_a_phone(admin_world, live_server, page, tmp_path):  # noqa: F811
    station = admin_world["stations"]["a"]
    sign_in(page, live_server, "admin-a")
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server}/admin/stations/{station.id}/menu")
    expect(page.locator('.node-card[data-node="main"]')).to_be_visible()
    overflow = "document.documentElement.scrollWidth - window.innerWidth"
    page.screenshot(path=str(tmp_path / "phone-editor.png"), full_page=True)
    assert page.evaluate(overflow) <= 0
    page.click("#publish")
    page.click("#confirm-publish")
    expect(page.locator(".flash.info")).to_contain_text("已发布第1版")
    page.goto(f"{live_server}/admin/stations/{station.id}/menu/history")
    expect(page.locator("#version-1")).to_be_visible()
    page.screenshot(path=str(tmp_path / "phone-history.png"), full_page=True)
    assert page.evaluate(overflow) <= 0
