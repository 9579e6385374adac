"""A referral's round trip in a real browser, from both stations' sides: 黄石街 sends,
同德街 finds it incoming and declines with a reason, 黄石街 gets it back and sends it
again, 同德街 accepts and resolves it, and 黄石街 reads the outcome."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.stations.users import create_user
from models import Referral, ReferralState, Role, Ticket
from tests import factories
from tests.browser.conftest import sign_in
from tests.browser.test_queue_triage import fits_a_phone
from tests.conftest import fresh
from tests.ivr.console.conftest import (
    PASSWORD,
    world,  # noqa: F401 - the shared fixture
)

pytestmark = pytest.mark.browser


@pytest.fixture
def huangshi(world, db_session):  # noqa: F811
    """黄石街 beside the world's 同德街 (both 白云区), its worker, and 连姐's open case."""
    station = factories.station(
        db_session, world["stations"]["b"].district, code="baiyun-huangshi", name_zh="黄石街"
    )
    create_user(db_session, "huangshi-worker", PASSWORD, Role.WORKER, "baiyun-huangshi", None)
    caller = factories.caller(db_session, name="连姐")
    ticket = factories.ticket(db_session, station, caller)
    db_session.commit()
    return ticket


def _refer(page, reason: str) -> None:  # type: ignore[no-untyped-def]
    page.click("#refer-box summary")
    page.select_option("#refer-form select[name=station]", "baiyun-tongde")
    page.fill("#refer-form input[name=reason]", reason)
    page.click("#refer-form button[type=submit]")
    page.wait_for_selector(".flash.info")


def test_a_referral_goes_there_and_back_and_the_sender_sees_the_outcome(
    world,  # noqa: F811
    huangshi,
    live_server,
    page,
    chromium,
    db_session,
    shots,
):
    ticket_page = f"{live_server}/console/tickets/{huangshi.id}"
    sign_in(page, live_server, "huangshi-worker")
    page.goto(ticket_page)
    _refer(page, "连姐住在同德街辖区")
    assert "等待同德街接收或退回" in page.inner_text("#referral")
    shots(page, "sender-waiting")

    receiver = chromium.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    other = receiver.new_page()
    sign_in(other, live_server, "worker-b")
    assert "待接收 1" in other.inner_text(".counts")
    other.click("#incoming")
    other.wait_for_url("**view=incoming**")
    row = other.locator(f'.ticket-row[data-ticket-id="{huangshi.id}"]')
    assert "待接收 · 来自 黄石街" in row.inner_text()
    shots(other, "receiver-incoming")
    row.locator("a").click()
    other.wait_for_selector("#accept-form")
    assert "连姐住在同德街辖区" in other.inner_text("#referral")
    assert other.locator("#resolve-form").count() == 0  # answer first
    assert fits_a_phone(other)
    shots(other, "receiver-answers")
    other.fill("#decline-form input[name=reason]", "连姐户籍和住址都在黄石街")
    other.click("#decline-form button[type=submit]")
    other.wait_for_url("**view=incoming**")
    assert other.locator(".ticket-row").count() == 0

    # 黄石街: a notice in the bar, the ticket back in its queue with the reason.
    page.goto(f"{live_server}/console/")
    assert "转介通知 1" in page.inner_text("#referral-notices")
    assert "被 同德街 退回" in page.inner_text(f'.ticket-row[data-ticket-id="{huangshi.id}"]')
    page.click("#referral-notices")
    page.wait_for_selector("#notices")
    assert "同德街 退回了转介" in page.inner_text("#notices")
    shots(page, "sender-notice-declined")
    page.click(f'#notices a[href$="/tickets/{huangshi.id}"]')
    page.wait_for_selector("#referral")
    assert "连姐户籍和住址都在黄石街" in page.inner_text("#referral")
    shots(page, "sender-returned")
    assert page.locator("#referral-notices").count() == 0  # read now

    # Sent again; this time 同德街 accepts and resolves it.
    _refer(page, "居委会核实：连姐已搬到同德街")
    other.goto(ticket_page)
    other.click("#accept-form button[type=submit]")
    other.wait_for_selector("#resolve-form")
    other.select_option("#resolve-form select[name=category]", "food")
    other.fill("#resolve-form input[name=problems]", "2")
    other.fill("#resolve-form input[name=text]", "已送米油到家")
    other.click("#resolve-form button[type=submit]")
    other.wait_for_selector(".flash.info")
    assert "已结案" in other.inner_text("h1")
    receiver.close()

    page.goto(f"{live_server}/console/")
    page.click("#referral-notices")
    page.wait_for_selector("#notices")
    notice = page.inner_text("#notices")
    assert "同德街 已办结 · 食物和日用品 ×2" in notice and "已送米油到家" in notice
    shots(page, "sender-outcome")
    page.goto(ticket_page)
    page.click("#referral-history summary")
    history = page.inner_text("#referral-history")
    assert "转介记录 (2)" in history and "已退回" in history and "已办结" in history
    assert page.locator("#resolve-form").count() == 0  # read-only for the sender
    assert fits_a_phone(page)
    shots(page, "sender-history")

    states = fresh(db_session).scalars(
        select(Referral.state).where(Referral.ticket_id == huangshi.id).order_by(Referral.id)
    )
    assert list(states) == [ReferralState.DECLINED, ReferralState.RESOLVED]
    assert fresh(db_session).get(Ticket, huangshi.id).station_id == world["stations"]["b"].id
