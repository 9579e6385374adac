import importlib.util
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]


def test_english_is_one_click_away_and_chinese_is_the_default(world, login):
    browser = login("worker-a")
    assert "回电队列" in browser.get("/console/").get_data(as_text=True)
    page = browser.post("/console/language", lang="en", next="/console/").get_data(as_text=True)
    assert "Call-back queue" in page and "回电队列" not in page
    assert '<html lang="en">' in page


def test_every_interface_message_has_an_english_translation(tmp_path):
    spec = importlib.util.spec_from_file_location("english", ROOT / "scripts" / "english.py")
    english = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(english)
    ids = {m.id for m in english.extract(tmp_path / "messages.pot") if m.id}
    assert ids - set(english.ENGLISH) == set()
    with (ROOT / "ivr/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        shipped = {m.id: m.string for m in read_po(handle) if m.id}
    assert shipped == {i: english.ENGLISH[i] for i in ids}, "run scripts/english.py"


# Werkzeug's and Flask-Login's own English, which must never reach a page.
WERKZEUG_ENGLISH = (
    "Bad Request",
    "Forbidden",
    "Not Found",
    "Method Not Allowed",
    "Request Entity Too Large",
    "Too Many Requests",
    "Internal Server Error",
    "The CSRF token",
    "Please log in to access this page.",
)
ERROR_TITLES = {  # status: (Chinese, English)
    400: ("页面已过期", "Page expired"),  # the CSRF check's 400
    403: ("没有权限", "Forbidden"),
    404: ("找不到页面", "Page not found"),
    405: ("不支持这种操作", "Not supported"),
    413: ("提交的内容太大", "Too large"),
    429: ("操作过于频繁", "Too many requests"),
    500: ("服务器出错", "Server error"),
}


def test_flask_logins_message_and_the_error_pages_are_in_the_catalogue(app):
    from flask_babel import force_locale

    from ivr.console.error_pages import CSRF_PAGE, PAGES
    from ivr.stations.sign_in import LOGIN_FIRST

    messages = [LOGIN_FIRST, *CSRF_PAGE, *(m for page in PAGES.values() for m in page)]
    with app.test_request_context("/"):
        for message in messages:
            with force_locale("zh"):
                chinese = str(message)
            with force_locale("en"):
                english = str(message)
            assert chinese != english and english.isascii(), chinese


@pytest.mark.parametrize(
    ("lang", "says"),
    [("zh", "请先登录，再打开这个页面。"), ("en", "Please sign in to open this page.")],
)
def test_the_sign_in_reminder_is_translated(world, client, lang, says):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    page = client.get("/console/tickets/1", follow_redirects=True).get_data(as_text=True)
    assert says in page
    assert not any(english in page for english in WERKZEUG_ENGLISH)


def _error_pages(app, browser, login):  # type: ignore[no-untyped-def]
    """Each error status as a person meets it: (status, response)."""
    yield 400, browser.client.post("/console/language", data={"lang": "en"})  # no CSRF token
    yield 405, browser.client.get("/console/logout")
    yield 413, browser.client.post("/console/language", data={"lang": "x" * (70 * 1024)})
    signed_in = login("worker-a")
    yield 404, signed_in.get("/console/tickets/999999")
    yield 403, signed_in.get("/admin/")
    yield 429, signed_in.get("/console/test-only/429")
    yield 500, signed_in.get("/console/test-only/500")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_error_pages_are_translated_pages_not_werkzeugs_english(
    world, app, browser, login, db_session, lang
):
    from werkzeug.exceptions import TooManyRequests

    from models import User

    def fail(code: int):  # type: ignore[no-untyped-def]
        if code == 429:
            raise TooManyRequests(retry_after=60)
        raise RuntimeError("a bug")

    app.add_url_rule("/console/test-only/<int:code>", "test_only_failure", fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer a bug as production does
    db_session.get(User, world["users"]["worker-a"].id).locale = lang
    db_session.commit()
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    for status, response in _error_pages(app, browser, login):
        page = response.get_data(as_text=True)
        title = ERROR_TITLES[status][0 if lang == "zh" else 1]
        assert response.status_code == status
        assert response.mimetype == "text/html" and f"<h1>{title} " in page, (status, page)
        assert not any(english in page for english in WERKZEUG_ENGLISH if english != title), page
        assert '<a href="/console/">' in page  # a way back
        if status == 405:
            assert "POST" in response.headers["Allow"]
        if status == 429:
            assert response.headers["Retry-After"] == "60"


def test_a_client_asking_for_json_gets_the_error_as_json(world, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get("/console/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {
        "error": {
            "code": 404,
            "message": "There is no such page, or it is outside what you may see.",
        }
    }


def test_twilio_and_the_api_keep_their_own_error_answers(world, client):
    # Twilio reads only the status; its URLs answer as they always did, never a page.
    twilio = client.post("/twilio/status", data={"a": "x" * (70 * 1024)})
    assert twilio.status_code == 413 and "社工站守护热线" not in twilio.get_data(as_text=True)
    unknown = client.post("/twilio/nowhere")
    assert unknown.status_code == 404 and "找不到页面" not in unknown.get_data(as_text=True)
    api = client.get("/api/v1/nowhere")
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
