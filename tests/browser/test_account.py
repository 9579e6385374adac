"""A worker's own account, in a real browser: phone, password, language, every device."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import User
from tests.browser.conftest import sign_in
from tests.conftest import fresh
from tests.ivr.console.conftest import PASSWORD, world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser
NEW_PASSWORD = "evening shift 2026"


def sign_in_with(page, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{base}/console/")


def worker(db_session) -> User:  # type: ignore[no-untyped-def]
    return fresh(db_session).scalar(select(User).where(User.username == "worker-a"))


def test_a_worker_keeps_their_phone_password_and_language(
    world,  # noqa: F811
    live_server,
    page,
    chromium,
    db_session,
    shots,
):
    sign_in(page, live_server, "worker-a")
    # Elsewhere: the same worker signed in on another device.
    other = chromium.new_context(locale="zh-CN").new_page()
    sign_in(other, live_server, "worker-a")

    # Calling back without a phone of one's own: the answer links to where to add it.
    ticket = world["tickets"]["a"]
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    page.click("#call-form button[type=submit]")
    page.wait_for_selector(".flash.error a")
    assert "填写你自己的电话号码" in page.inner_text(".flash.error")
    page.click(".flash.error a")
    page.wait_for_url(f"{live_server}/console/account#phone")
    assert page.inner_text("h1") == "我的账户"

    # And the bar leads to the account page from every page.
    page.goto(f"{live_server}/console/")
    page.click("header.bar a.who")
    page.wait_for_url(f"{live_server}/console/account")

    # A local mobile, typed as people say it: kept in E.164.
    page.fill("input[name=phone]", "138 1234 5678")
    page.click("#phone button[type=submit]")
    page.wait_for_selector(".flash.info")
    assert "+8613812345678" in page.inner_text(".flash.info")
    assert page.input_value("input[name=phone]") == "+8613812345678"
    assert worker(db_session).phone == "+8613812345678"
    shots(page, "account")

    # Junk is refused next to the field, with what was typed kept.
    page.fill("input[name=phone]", "12345678")
    page.click("#phone button[type=submit]")
    page.wait_for_selector("#error-phone")
    assert "缺少区号" in page.inner_text("#error-phone")
    assert page.input_value("input[name=phone]") == "12345678"
    shots(page, "account-phone-refused")

    # Change the password: this session stays, the other device is signed out.
    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=repeat_password]", NEW_PASSWORD)
    page.click("#password button[type=submit]")
    page.wait_for_selector(".flash.info")
    assert "密码已修改" in page.inner_text(".flash.info")
    other.goto(f"{live_server}/console/")
    assert "/console/login" in other.url

    # Switch to English on the account page; sign out and in again: still English.
    page.select_option("#language select[name=lang]", "en")
    page.click("#language button[type=submit]")
    page.wait_for_selector("h1:has-text('My account')")
    assert worker(db_session).locale == "en"
    shots(page, "account-english")
    page.click("header.bar form[action$='/console/logout'] button")
    page.wait_for_url("**/console/login")
    sign_in_with(page, live_server, "worker-a", NEW_PASSWORD)
    assert "Call-back queue" in page.inner_text("header.bar")
    assert page.evaluate("document.documentElement.lang") == "en"

    # Sign out everywhere from the account page: both devices end at the sign-in page.
    sign_in_with(other, live_server, "worker-a", NEW_PASSWORD)
    page.click("header.bar a.who")
    page.click("#sessions button[type=submit]")
    page.wait_for_url("**/console/login")
    assert "Signed out on every device" in page.inner_text(".flash")
    other.goto(f"{live_server}/console/account")
    assert "/console/login" in other.url
    assert "Please sign in to open this page." in other.inner_text(".flash")
    other.context.close()


def test_error_pages_speak_the_interface_language(world, live_server, page, shots):  # noqa: F811
    sign_in(page, live_server, "worker-a")
    response = page.goto(f"{live_server}/console/tickets/999999")
    assert response.status == 404
    assert "找不到页面" in page.inner_text("h1") and "Not Found" not in page.content()
    shots(page, "not-found")
    response = page.goto(f"{live_server}/admin/")
    assert response.status == 403 and "没有权限" in page.inner_text("h1")
    page.click("text=回到回电队列")
    page.wait_for_url(f"{live_server}/console/")
