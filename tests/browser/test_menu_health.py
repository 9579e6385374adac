"""菜单健康检查 in Chromium: counts and cards fit a phone, and a problem's link opens the
menu editor at its node."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in
from tests.ivr.admin.conftest import world  # noqa: F401 - fixture
from tests.ivr.menus.lint_helpers import menu, publish

pytestmark = pytest.mark.browser

FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def test_a_problem_links_to_the_editor_at_its_node_and_the_page_fits_a_phone(
    world,  # noqa: F811
    db_session,
    live_server,
    page,
    shots,
):
    fengyang = world["stations"]["a2"]  # 凤阳街: a published menu, nobody on the roster
    publish(db_session, fengyang, menu(("zh", "yue")))
    db_session.commit()
    sign_in(page, live_server, "haizhu-admin")
    page.goto(f"{live_server}/admin/")
    page.click("#menu-health-link")
    expect(page.locator("h1")).to_have_text("菜单健康检查")
    cards = page.locator("#health-list .problem")
    # 凤阳街's two forwards (main menu, elderly path); 南洲街 has published nothing, and
    # the default template's forwards have nobody to ring there either.
    expect(cards).to_have_count(5)
    shots(page, "menu-health")

    page.set_viewport_size(PHONE)
    assert page.evaluate(FITS)
    error = page.locator(
        '.problem[data-check="forward_unstaffed"][data-station="haizhu-fengyang"]'
        '[data-node="forward_worker"]'
    )
    box = error.bounding_box()
    assert box is not None and box["width"] <= PHONE["width"]
    page.click('#health-counts a[data-severity="error"]')
    expect(cards).to_have_count(4)

    error.locator("a.editor-link").click()
    page.wait_for_url(f"{live_server}/admin/stations/{fengyang.id}/menu#node-forward_worker")
    card = page.locator('.node-card[data-node="forward_worker"]')
    expect(card).to_have_class("node-card linked")
    expect(card).to_be_in_viewport()
    shots(page, "editor-at-node")
