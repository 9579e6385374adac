"""Triage in a real browser: search, filters, pages and a referral seen from both stations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.tickets.actions import refer
from models import Tag, TagKind, utcnow
from tests import factories
from tests.browser.conftest import PHONE, sign_in
from tests.ivr.console.conftest import world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser


def fits_a_phone(page) -> bool:  # type: ignore[no-untyped-def]
    """At phone width nothing scrolls sideways."""
    before = page.viewport_size
    page.set_viewport_size(PHONE)
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size(before)
    return fits


def test_a_worker_searches_and_follows_a_referral_from_both_sides(
    world,  # noqa: F811
    live_server,
    page,
    chromium,
    db_session,
    shots,
):
    ticket = world["tickets"]["a"]
    ticket.tags = [Tag(code="food", name_zh="食物", kind=TagKind.NEED)]
    ticket.due_at = utcnow() - timedelta(days=2, hours=1)
    transcript = ticket.voicemails[0].transcript  # long: the row must not widen the page
    transcript.text = "我想买米，家里老人腿脚不方便，" * 6
    db_session.commit()
    sign_in(page, live_server, "worker-a")
    row = page.locator(".ticket-row").first
    assert "我想买米" in row.inner_text() and "超时 2 天" in row.inner_text()
    assert "食物" in row.inner_text() and "未分派" in row.inner_text()
    assert fits_a_phone(page)
    shots(page, "worker-queue")

    page.fill("input[name=q]", "5678")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=5678**")
    assert page.locator(".ticket-row").count() == 1
    page.fill("input[name=q]", "没说过")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector(".empty")

    refer(db_session, ticket, world["users"]["worker-a"], "baiyun-tongde", "居民搬到同德街")
    db_session.commit()
    page.goto(f"{live_server}/console/")
    assert page.locator(".ticket-row").count() == 0
    assert "已转介出去 1" in page.inner_text(".counts")
    page.click("#referred-out")
    page.wait_for_url("**view=referred_out**")
    sent = page.locator(f".ticket-row[data-ticket-id='{ticket.id}']")
    assert "现在：同德街 · 待回电" in sent.inner_text()
    assert fits_a_phone(page)
    shots(page, "referred-out")

    receiver = chromium.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    try:
        other = receiver.new_page()
        sign_in(other, live_server, "worker-b")
        arrived = other.locator(f".ticket-row[data-ticket-id='{ticket.id}']")
        assert "待接收 · 来自 南洲街" in arrived.inner_text()  # until accepted
        assert "待处理 2" in other.inner_text(".counts")
        shots(other, "receiver-queue")
    finally:
        receiver.close()


def test_a_district_admin_narrows_to_one_station(world, live_server, page, db_session, shots):  # noqa: F811
    fengyang = factories.ticket(db_session, world["stations"]["a2"])
    db_session.commit()
    sign_in(page, live_server, "haizhu-admin")
    assert page.locator(".ticket-row").count() == 2
    page.click(".filter-box summary")
    options = page.locator("select[name=station] option").all_inner_texts()
    assert "凤阳街" in options and "同德街" not in options  # only the district's stations
    page.select_option("select[name=station]", "haizhu-fengyang")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**station=haizhu-fengyang**")
    rows = page.locator(".ticket-row")
    assert rows.count() == 1 and f"#{fengyang.id}" in rows.first.inner_text()
    assert fits_a_phone(page)
    shots(page, "district-station")


def test_a_city_admin_pages_through_and_opens_the_unassigned_queue(
    world,  # noqa: F811
    live_server,
    page,
    db_session,
    shots,
):
    now = utcnow()
    for i in range(55):
        factories.ticket(db_session, world["stations"]["b"], due_at=now + timedelta(minutes=i))
    lost = factories.ticket(db_session, None, due_at=now + timedelta(hours=30))
    db_session.commit()
    sign_in(page, live_server, "city")
    assert page.locator(".ticket-row").count() == 50
    ids = "r => r.map(x => x.dataset.ticketId)"
    first_page = set(page.locator(".ticket-row").evaluate_all(ids))
    page.click("a[rel=next]")
    page.wait_for_url("**after=**")
    second = page.locator(".ticket-row").evaluate_all("r => r.map(x => x.dataset.ticketId)")
    assert len(second) == 8 and not first_page & set(second)  # 57 + 1 unassigned in all
    assert page.locator("a[rel=next]").count() == 0
    shots(page, "city-page-2")

    page.click("#unassigned-queue")
    page.wait_for_url("**unassigned=1**")
    rows = page.locator(".ticket-row")
    assert rows.count() == 1 and f"#{lost.id}" in rows.first.inner_text()
    assert "未分配" in rows.first.inner_text()
    assert fits_a_phone(page)
    shots(page, "city-unassigned")
