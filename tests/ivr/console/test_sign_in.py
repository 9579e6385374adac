"""Sign-in at the web edge: where it redirects, what a refusal reveals, and throttling."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

import ivr.stations.sign_in as sign_in_service
from ivr.api.tokens import issue_token
from ivr.stations.sign_in import MAX_FAILED_LOGINS
from models import ApiToken, User, utcnow
from tests.conftest import fresh
from tests.ivr.console.conftest import PASSWORD, TOKEN


def post_login(client, username, password, next_path=None, address="192.0.2.10"):  # type: ignore[no-untyped-def]
    page = client.get("/console/login", environ_base={"REMOTE_ADDR": address})
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    return client.post(
        "/console/login",
        query_string={"next": next_path} if next_path is not None else None,
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def flashes(response) -> list[str]:  # type: ignore[no-untyped-def]
    import re

    return re.findall(r'<p class="flash[^"]*"[^>]*>([^<]*)</p>', response.get_data(as_text=True))


@pytest.mark.parametrize(
    "hostile",
    [
        "/\t/example.org",
        "//example.org",
        "///example.org",
        "/\\example.org",
        "\\\\example.org",
        "https://example.org/console/",
        "javascript:alert(1)",
        "/console/\r\nSet-Cookie: x=1",
        "/ /example.org",
        " /console/",
        "example.org",
    ],
)
def test_sign_in_never_redirects_off_site(world, client, hostile):
    response = post_login(client, "worker-a", PASSWORD, next_path=hostile)
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"


@pytest.mark.parametrize(
    "query",
    ["next=/%09/example.org", "next=/%0D%0ALocation:%20//example.org", "next=%2F%5Cexample.org"],
)
def test_the_probes_encoded_nexts_stay_on_site(world, client, query):
    """As the probe sent them: percent-encoded in the query string, decoded by Flask."""
    page = client.get("/console/login", environ_base={"REMOTE_ADDR": "192.0.2.10"})
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    response = client.post(
        f"/console/login?{query}",
        data={"username": "worker-a", "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/"


def test_sign_in_follows_a_path_on_this_site(world, client):
    response = post_login(client, "worker-a", PASSWORD, next_path="/console/?status=open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/?status=open"


def _lock(db_session, username: str) -> None:
    user = db_session.scalar(select(User).where(User.username == username))
    user.locked_until = utcnow() + timedelta(minutes=15)
    db_session.commit()


def test_unknown_wrong_and_locked_answer_alike(world, app, db_session, monkeypatch):
    _lock(db_session, "colleague-a")
    verified: list[str] = []
    real_verify = sign_in_service.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(sign_in_service, "verify_password", counting_verify)
    answers = {}
    for case, username, password in [
        ("unknown", "nobody", PASSWORD),
        ("wrong", "worker-a", "wrong password"),
        ("locked", "colleague-a", PASSWORD),  # the right password
    ]:
        before = len(verified)
        response = post_login(
            app.test_client(), username, password, address=f"192.0.2.{len(answers) + 1}"
        )
        assert len(verified) == before + 1, f"{case}: one argon2 verification, like the others"
        answers[case] = (response.status_code, flashes(response))
    assert answers["unknown"] == answers["wrong"] == answers["locked"]
    assert answers["locked"][0] == 401


def test_a_locked_account_takes_as_long_as_an_unknown_name(world, app, db_session):
    _lock(db_session, "colleague-a")

    def timed(username: str, address: str) -> float:
        client = app.test_client()
        start = time.perf_counter()
        post_login(client, username, PASSWORD, address=address)
        return time.perf_counter() - start

    for _ in range(2):  # warm up
        timed("nobody", "192.0.2.50")
    unknown = sorted(timed("nobody", "192.0.2.51") for _ in range(3))[1]
    locked = sorted(timed("colleague-a", "192.0.2.52") for _ in range(3))[1]
    assert locked > 0.6 * unknown, (locked, unknown)


def test_failures_lock_the_account_and_the_right_password_says_nothing_more(world, app, db_session):
    for attempt in range(MAX_FAILED_LOGINS):
        # From many addresses, each under its own limit: what the account lock is for.
        refused = post_login(
            app.test_client(), "worker-a", "wrong", address=f"198.51.100.{attempt}"
        )
        assert refused.status_code == 401
    locked = post_login(app.test_client(), "worker-a", PASSWORD, address="198.51.100.200")
    assert (locked.status_code, flashes(locked)) == (refused.status_code, flashes(refused))
    user = fresh(db_session).scalar(select(User).where(User.username == "worker-a"))
    assert user.locked_until is not None and user.locked_until > utcnow()
    user.locked_until = utcnow() - timedelta(seconds=1)  # the lock has run out
    db_session.commit()
    assert (
        post_login(app.test_client(), "worker-a", PASSWORD, address="198.51.100.201").status_code
        == 302
    )


def test_concurrent_failures_are_all_counted(world, app, db_session, monkeypatch):
    attempts = 6
    barrier = threading.Barrier(attempts, timeout=30)
    real_verify = sign_in_service.verify_password

    def verify_together(password_hash: str, password: str) -> bool:
        result = real_verify(password_hash, password)
        barrier.wait()  # every attempt has read the row before any counts its failure
        return result

    clients = [app.test_client() for _ in range(attempts)]
    tokens = [
        TOKEN.search(c.get("/console/login").get_data(as_text=True)).group(1) for c in clients
    ]
    monkeypatch.setattr(sign_in_service, "verify_password", verify_together)
    statuses: list[int] = []

    def attempt(client, token, index):  # type: ignore[no-untyped-def]
        response = client.post(
            "/console/login",
            data={"username": "worker-a", "password": "wrong", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"203.0.113.{index}"},
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=attempt, args=(c, t, i))
        for i, (c, t) in enumerate(zip(clients, tokens, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [401] * attempts
    user = fresh(db_session).scalar(select(User).where(User.username == "worker-a"))
    assert user.failed_logins == attempts


def test_one_address_is_throttled_whatever_names_it_tries(world, app):
    client = app.test_client()
    for attempt in range(10):
        assert post_login(client, f"guess-{attempt}", "x", address="192.0.2.99").status_code == 401
    throttled = post_login(client, "worker-a", PASSWORD, address="192.0.2.99")
    assert throttled.status_code == 429
    assert "这个网络地址登录失败次数过多" in throttled.get_data(as_text=True)
    # Another address, and the account itself, are unaffected.
    assert (
        post_login(app.test_client(), "worker-a", PASSWORD, address="192.0.2.100").status_code
        == 302
    )


def test_successful_sign_ins_do_not_count_against_the_address(world, app):
    for _ in range(12):
        assert (
            post_login(app.test_client(), "worker-a", PASSWORD, address="192.0.2.77").status_code
            == 302
        )


def test_the_address_limit_is_shared_by_every_web_process(world, app, make_app):
    """Two apps on one database stand for two gunicorn workers (or two web hosts)."""
    other_worker = make_app()
    for attempt in range(10):
        served_by = app if attempt % 2 else other_worker
        post_login(served_by.test_client(), "nobody", "x", address="192.0.2.33")
    assert (
        post_login(app.test_client(), "worker-a", PASSWORD, address="192.0.2.33").status_code == 429
    )
    assert (
        post_login(
            other_worker.test_client(), "worker-a", PASSWORD, address="192.0.2.33"
        ).status_code
        == 429
    )


def test_with_redis_the_address_limit_lives_in_redis(world, make_app):
    import redis

    queue = f"ivr-test-{time.time_ns()}"
    first = make_app(IVR_REDIS_URL="redis://127.0.0.1:6379/15", IVR_QUEUE_NAME=queue)
    second = make_app(IVR_REDIS_URL="redis://127.0.0.1:6379/15", IVR_QUEUE_NAME=queue)
    try:
        for attempt in range(10):
            post_login(
                (first if attempt % 2 else second).test_client(),
                "nobody",
                "x",
                address="192.0.2.44",
            )
        assert (
            post_login(first.test_client(), "worker-a", PASSWORD, address="192.0.2.44").status_code
            == 429
        )
        keys = redis.Redis.from_url("redis://127.0.0.1:6379/15").keys(f"*{queue}*")
        assert keys
    finally:
        store = redis.Redis.from_url("redis://127.0.0.1:6379/15")
        for key in store.keys(f"*{queue}*"):
            store.delete(key)


def test_log_out_everywhere_can_revoke_api_tokens(world, app, login, db_session):
    kept = issue_token(db_session, "worker-a", utcnow(), name="kept").secret
    db_session.commit()
    browser = login("worker-a")
    page = browser.get("/console/account").get_data(as_text=True)  # where the form lives
    assert 'name="revoke_api_tokens"' in page and "API 令牌" in page
    answer = browser.post("/console/logout-everywhere")
    assert "API 令牌仍然有效" in answer.get_data(as_text=True)
    api = app.test_client()
    assert (
        api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    )

    browser = login("worker-a")
    answer = browser.post("/console/logout-everywhere", revoke_api_tokens="1")
    assert "撤销了你的 1 个 API 令牌" in answer.get_data(as_text=True)
    assert (
        api.get("/api/v1/tickets", headers={"Authorization": f"Bearer {kept}"}).status_code == 401
    )
    token = fresh(db_session).scalar(select(ApiToken).where(ApiToken.name == "kept"))
    assert token.revoked_at is not None


def test_the_refusal_is_translated(world, client):
    page = client.get("/console/login").get_data(as_text=True)
    client.post("/console/language", data={"lang": "en", "csrf_token": TOKEN.search(page).group(1)})
    refused = post_login(client, "nobody", "x")
    assert refused.status_code == 401
    assert flashes(refused) == [
        "Wrong username or password. After many failed attempts in a row, the account is "
        "locked for 15 minutes."
    ]


def test_only_the_sign_in_view_pays_for_throttling(app):
    """No app-wide limiter hook: webhooks and pages skip it (limits sit on the view)."""
    limiter = app.extensions["ivr.limiter"]
    assert limiter._check_request_limit not in app.before_request_funcs[None]
