"""My account: own phone (normalised), password change, remembered language, sessions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.stations.sign_in import MAX_FAILED_LOGINS
from ivr.stations.users import verify_password
from models import AuditLog, User
from tests.conftest import fresh
from tests.ivr.console.conftest import PASSWORD, Browser

NEW_PASSWORD = "a new passphrase 2"


def user(db_session, name: str) -> User:  # type: ignore[no-untyped-def]
    return fresh(db_session).scalar(select(User).where(User.username == name))


@pytest.mark.parametrize("name", ["worker-a", "haizhu-admin", "city"])
def test_every_role_reaches_the_account_page_from_the_bar(world, login, name):
    browser = login(name)
    queue = browser.get("/console/").get_data(as_text=True)
    assert 'href="/console/account"' in queue
    page = browser.get("/console/account")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert name in html and "修改密码" in html and "我的电话" in html
    # "log out everywhere" is on the page, posting where it always did
    assert 'action="/console/logout-everywhere"' in html


def test_the_account_page_needs_a_sign_in(world, client):
    response = client.get("/console/account")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("020-12345678", "+862012345678"),
        ("+85291234567", "+85291234567"),
    ],
)
def test_my_phone_is_kept_in_e164(world, login, db_session, typed, stored):
    browser = login("worker-a")
    page = browser.post("/console/account/phone", page="/console/account", phone=typed)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"已保存你的电话号码：{stored}" in html
    assert f'value="{stored}"' in html
    assert user(db_session, "worker-a").phone == stored
    audit = db_session.scalar(select(AuditLog).where(AuditLog.action == "account.phone"))
    assert audit.user_id == world["users"]["worker-a"].id and audit.object_id == str(audit.user_id)


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("1381234567", "不是有效的手机号"),
        ("12345678", "缺少区号"),
        ("call me", "不是有效的电话号码"),
        ("hotline", "是热线号码"),
    ],
)
def test_a_phone_that_cannot_be_rung_is_refused_keeping_what_was_typed(
    world, login, db_session, typed, says
):
    if typed == "hotline":  # a hotline rung from itself reaches its menu, not the worker
        typed = world["stations"]["a"].hotline_numbers[0].number
    browser = login("worker-a")
    page = browser.post("/console/account/phone", page="/console/account", phone=typed)
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and says in html
    assert f'value="{typed}"' in html and 'aria-invalid="true"' in html
    assert user(db_session, "worker-a").phone is None


def test_an_empty_phone_removes_mine(world, login, db_session):
    db_session.get(User, world["users"]["worker-a"].id).phone = "+8613812345678"
    db_session.commit()
    browser = login("worker-a")
    page = browser.post("/console/account/phone", page="/console/account", phone="  ")
    assert "已删除你的电话号码" in page.get_data(as_text=True)
    assert user(db_session, "worker-a").phone is None


def test_changing_my_password_ends_my_other_sessions_but_not_this_one(
    world, login, second_browser, db_session
):
    second_browser.login("worker-a")
    assert second_browser.get("/console/").status_code == 200
    browser = login("worker-a")
    page = browser.post(
        "/console/account/password",
        page="/console/account",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        repeat_password=NEW_PASSWORD,
    )
    assert page.status_code == 200 and "密码已修改" in page.get_data(as_text=True)
    row = user(db_session, "worker-a")
    assert verify_password(row.password_hash, NEW_PASSWORD)
    assert not verify_password(row.password_hash, PASSWORD)
    assert browser.get("/console/account").status_code == 200  # still signed in here
    elsewhere = second_browser.get("/console/")
    assert elsewhere.status_code == 302 and "/console/login" in elsewhere.headers["Location"]
    # and signing in takes the new password, not the old
    assert second_browser.login("worker-a").status_code == 401
    assert second_browser.login("worker-a", NEW_PASSWORD).status_code == 302
    audit = db_session.scalar(select(AuditLog).where(AuditLog.action == "account.password"))
    assert audit is not None and audit.user_id == row.id


@pytest.mark.parametrize(
    ("current", "new", "repeat", "field", "says"),
    [
        ("wrong password!", NEW_PASSWORD, NEW_PASSWORD, "current_password", "当前密码不正确"),
        (PASSWORD, "short", "short", "new_password", "密码至少需要10个字符"),
        (PASSWORD, " " * 12, " " * 12, "new_password", "密码不能只有空格"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "repeat_password", "两次输入的新密码不一致"),
        (PASSWORD, PASSWORD, PASSWORD, "new_password", "新密码不能和当前密码相同"),
    ],
)
def test_a_refused_password_change_says_why_by_its_field_and_changes_nothing(
    world, login, db_session, current, new, repeat, field, says
):
    browser = login("worker-a")
    before = user(db_session, "worker-a")
    version, stored = before.session_version, before.password_hash
    page = browser.post(
        "/console/account/password",
        page="/console/account",
        current_password=current,
        new_password=new,
        repeat_password=repeat,
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert f'id="error-{field}" role="alert">{says}' in html
    after = user(db_session, "worker-a")
    assert (after.session_version, after.password_hash) == (version, stored)
    assert browser.get("/console/account").status_code == 200


def test_wrong_current_passwords_count_towards_the_lock(world, login, db_session):
    browser = login("worker-a")
    for _ in range(MAX_FAILED_LOGINS):
        browser.post(
            "/console/account/password",
            page="/console/account",
            current_password="not my password",
            new_password=NEW_PASSWORD,
            repeat_password=NEW_PASSWORD,
        )
    assert user(db_session, "worker-a").locked_until is not None
    # locked: even the right current password is refused, in the same words
    page = browser.post(
        "/console/account/password",
        page="/console/account",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        repeat_password=NEW_PASSWORD,
    )
    assert page.status_code == 400 and "当前密码不正确" in page.get_data(as_text=True)
    assert verify_password(user(db_session, "worker-a").password_hash, PASSWORD)


def test_my_language_is_remembered_across_sign_out_and_devices(world, app, login, db_session):
    browser = login("worker-a")
    page = browser.post("/console/language", lang="en", next="/console/account")
    assert "My account" in page.get_data(as_text=True)
    assert user(db_session, "worker-a").locale == "en"
    browser.post("/console/logout")
    # a new browser, which prefers Chinese, signs in: English, as chosen
    other = Browser(app.test_client())
    other.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    assert other.login("worker-a").status_code == 302
    queue = other.get("/console/").get_data(as_text=True)
    assert "Call-back queue" in queue and '<html lang="en">' in queue
    # and switching back is remembered too
    other.post("/console/language", lang="zh", next="/console/")
    assert user(db_session, "worker-a").locale == "zh"
    assert "回电队列" in other.get("/console/").get_data(as_text=True)


def test_a_language_picked_on_the_sign_in_page_becomes_the_accounts(world, client, db_session):
    anonymous = Browser(client)
    page = anonymous.post(
        "/console/language", page="/console/login", lang="en", next="/console/login"
    )
    assert "Sign in" in page.get_data(as_text=True)
    assert user(db_session, "worker-a").locale == "zh"  # no account touched before sign-in
    assert anonymous.login("worker-a").status_code == 302
    assert "Call-back queue" in anonymous.get("/console/").get_data(as_text=True)
    assert user(db_session, "worker-a").locale == "en"
    anonymous.post("/console/logout")
    # the next person to sign in on this browser gets their own language, not that pick
    assert anonymous.login("colleague-a").status_code == 302
    assert "回电队列" in anonymous.get("/console/").get_data(as_text=True)
    assert user(db_session, "colleague-a").locale == "zh"
