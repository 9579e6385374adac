"""A station admin (nanzhou-admin) in Chromium: the YAML view, the sticky save bar, the
publish review with its diff, and a readable diagram that zooms and pans."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.drafts import versions
from ivr.menus.versions import published_version, save_version
from ivr.stations.users import create_user
from models import Role
from tests.browser.conftest import DESKTOP, PHONE, sign_in
from tests.conftest import fresh
from tests.ivr.admin.conftest import PASSWORD, admin_world, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser

IN_VIEW = """(selector) => {
  const r = document.querySelector(selector).getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
}"""


@pytest.fixture
def nanzhou(admin_world, db_session):  # noqa: F811
    """南洲街 offering three languages, the default menu live, and its station admin."""
    station = admin_world["stations"]["a"]
    station.languages = ["zh", "yue", "en"]
    create_user(db_session, "nanzhou-admin", PASSWORD, Role.STATION_ADMIN, station.code)
    save_version(db_session, station, default_menu_yaml(station.languages), publish=True)
    db_session.commit()
    return station


def test_the_yaml_view_replaces_the_tree_and_what_is_shown_is_saved(
    nanzhou, live_server, page, db_session, shots
):
    sign_in(page, live_server, "nanzhou-admin")
    page.goto(f"{live_server}/admin/stations/{nanzhou.id}/menu")
    main = page.locator('.node-card[data-node="main"]')
    main.locator('textarea[data-field="prompt.zh"]').fill("树里改的欢迎语，请按1")
    expect(page.locator("#validate-state")).to_have_text("检查通过")

    page.click("#view-switch button[data-view=yaml]")
    textarea = page.locator("#yaml")
    expect(textarea).to_be_visible()
    expect(page.locator("#tree")).to_be_hidden()
    expect(main).to_be_hidden()  # no card of the tree is left on screen to be typed into
    assert "树里改的欢迎语，请按1" in textarea.input_value()  # the tree's edit came across
    shots(page, "yaml-view")

    textarea.fill(textarea.input_value().replace("树里改的欢迎语", "YAML 里改的欢迎语"))
    expect(page.locator("#validate-state")).to_have_text("检查通过")
    page.fill("input[name=note]", "在 YAML 视图里改")
    page.click("#save-draft")
    expect(page.locator(".flash.info")).to_contain_text("已保存草稿：第2版")
    draft = versions(fresh(db_session), nanzhou.id)[0]
    assert "YAML 里改的欢迎语，请按1" in draft.document and "树里改的" not in draft.document

    # Broken YAML cannot become a tree: the switch is refused and says why.
    page.click("#view-switch button[data-view=yaml]")
    textarea.fill(textarea.input_value().replace("languages:\n- zh", "languages: [zh\n- zh"))
    expect(page.locator("#problems .problem-list.errors")).to_contain_text("YAML 语法错误")
    page.click("#view-switch button[data-view=tree]")
    expect(page.locator("#view-message")).to_contain_text("无法显示为树形视图")
    expect(textarea).to_be_visible()
    expect(page.locator("#tree")).to_be_hidden()
    shots(page, "yaml-refused")


def test_save_and_publish_stay_in_reach_and_publishing_shows_the_diff_first(
    nanzhou, live_server, page, db_session, shots
):
    sign_in(page, live_server, "nanzhou-admin")
    editor = f"{live_server}/admin/stations/{nanzhou.id}/menu"
    page.goto(editor)
    expect(page.locator('.node-card[data-node="main"]')).to_be_visible()
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        assert page.evaluate("document.documentElement.scrollHeight") > 3 * size["height"]
        for where in ("0", "document.documentElement.scrollHeight"):
            page.evaluate(f"window.scrollTo(0, {where})")
            page.wait_for_timeout(100)
            assert page.evaluate(IN_VIEW, "#publish"), (size, where)
            assert page.evaluate(IN_VIEW, "#save-draft"), (size, where)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_viewport_size(DESKTOP)
    shots(page, "editor")

    page.locator('.node-card[data-node="main"] textarea[data-field="prompt.zh"]').fill(
        "南洲街热线：要米面粮油请按1"
    )
    expect(page.locator("#validate-state")).to_have_text("检查通过")
    page.click("#publish")
    expect(page.locator("#diff-title")).to_contain_text("线上：第1版 → 将发布")
    expect(page.locator(".diff-lines tr.add")).to_contain_text("南洲街热线：要米面粮油请按1")
    expect(page.locator(".diff-lines tr.remove").first).to_contain_text("需要粮油蔬菜")
    assert published_version(fresh(db_session), nanzhou.id).version == 1  # not yet
    shots(page, "publish-review")

    page.click("#confirm-publish")
    expect(page.locator(".flash.info")).to_contain_text("已发布第2版")
    live = published_version(fresh(db_session), nanzhou.id)
    assert live.version == 2 and "南洲街热线：要米面粮油请按1" in live.document

    page.click("nav.tabs >> text=版本历史")
    expect(page.locator("#diff-title")).to_contain_text("第1版 → 第2版")
    expect(page.locator(".diff-lines tr.add")).to_contain_text("南洲街热线：要米面粮油请按1")
    expect(page.locator("#diff")).not_to_contain_text("两个版本的内容完全相同")
    shots(page, "history-after-publish")


def _text_sizes(page):  # type: ignore[no-untyped-def]
    """Every text of the diagram: its size on screen in CSS px (font size × zoom)."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#diagram-viewport svg text'))
          .filter(t => t.textContent.trim())
          .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""
    )


def _overlapping_labels(page):  # type: ignore[no-untyped-def]
    return page.evaluate(
        """() => {
          const boxes = Array.from(document.querySelectorAll('svg text.edge-label'))
            .map(t => [t.textContent, t.getBoundingClientRect()]);
          const hits = [];
          for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i][1], b = boxes[j][1];
            if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
              hits.push([boxes[i][0], boxes[j][0]]);
          }
          return [boxes.length, hits];
        }"""
    )


def test_the_diagram_is_readable_and_zooms_and_pans(nanzhou, live_server, page, shots):
    sign_in(page, live_server, "nanzhou-admin")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/admin/stations/{nanzhou.id}/menu/diagram")
    expect(page.locator("#zoom-level")).to_have_text("100%")
    sizes = _text_sizes(page)
    assert len(sizes) > 40 and min(sizes) >= 12, sorted(sizes)[:5]
    count, hits = _overlapping_labels(page)
    assert count >= 10 and hits == []
    shots(page, "diagram")

    svg = page.locator("#diagram-viewport svg")
    natural = float(svg.get_attribute("width"))
    page.click("#diagram-tools button[data-zoom=in]")
    expect(page.locator("#zoom-level")).to_have_text("125%")
    assert abs(float(svg.get_attribute("width")) - natural * 1.25) <= 1
    assert min(_text_sizes(page)) >= 15
    page.click("#diagram-tools button[data-zoom=reset]")
    expect(page.locator("#zoom-level")).to_have_text("100%")

    # Ctrl + wheel zooms around the pointer; dragging pans.
    box = page.locator("#diagram-viewport").bounding_box()
    page.mouse.move(box["x"] + 300, box["y"] + 200)
    page.keyboard.down("Control")
    page.mouse.wheel(0, -100)
    page.keyboard.up("Control")
    expect(page.locator("#zoom-level")).to_have_text("115%")
    page.click("#diagram-tools button[data-zoom=reset]")
    before = page.evaluate("document.getElementById('diagram-viewport').scrollLeft")
    page.mouse.move(box["x"] + 600, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 300, box["y"] + 250, steps=5)
    page.mouse.up()
    after = page.evaluate("document.getElementById('diagram-viewport').scrollLeft")
    assert after - before >= 250

    page.click("#diagram-tools button[data-zoom=fit]")
    width = page.evaluate("document.getElementById('diagram-viewport').clientWidth")
    assert float(svg.get_attribute("width")) <= width
    page.set_viewport_size(PHONE)
    page.click("#diagram-tools button[data-zoom=reset]")
    assert min(_text_sizes(page)) >= 12
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shots(page, "diagram-phone-100")
