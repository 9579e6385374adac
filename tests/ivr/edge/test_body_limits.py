"""Request bodies are capped before anything reads them, chunked ones included."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from werkzeug.test import EnvironBuilder, run_wsgi_app

from ivr.edge.body_limits import DEFAULT_BODY_BYTES
from tests.conftest import PUBLIC_URL

FORM = "application/x-www-form-urlencoded"
HUGE = 400 * 1024 * 1024  # the probe's unsigned body


class Body(io.RawIOBase):
    """``size`` bytes of a form, made as they are read; counts what was read."""

    def __init__(self, size: int, prefix: bytes = b"a=") -> None:
        self.left, self.prefix, self.read_bytes = size, prefix, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        count = min(len(buffer), self.left)
        chunk = (self.prefix + b"x" * count)[:count]
        self.prefix = self.prefix[count:]
        buffer[:count] = chunk
        self.left -= count
        self.read_bytes += count
        return count


def send(app, path: str, body: io.RawIOBase, *, length: int | None, headers=None, method="POST"):  # type: ignore[no-untyped-def]
    """Call the app as a WSGI server would: with a Content-Length, or chunked (none)."""
    environ = EnvironBuilder(
        path=path, method=method, content_type=FORM, base_url=PUBLIC_URL, headers=headers
    ).get_environ()
    environ["wsgi.input"] = body
    if length is None:
        environ.pop("CONTENT_LENGTH", None)
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True  # as gunicorn and werkzeug's server set
    else:
        environ["CONTENT_LENGTH"] = str(length)
    answer, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0]), b"".join(answer), response_headers


def test_an_unsigned_huge_webhook_body_is_refused_unread(app):
    body = Body(HUGE)
    status, _, _ = send(app, "/twilio/status", body, length=HUGE)
    assert status == 413 and body.read_bytes == 0


def test_a_huge_sign_in_form_is_refused_unread(app):
    body = Body(HUGE)
    status, _, _ = send(app, "/console/login", body, length=HUGE)
    assert status == 413 and body.read_bytes == 0


def test_a_chunked_body_over_the_cap_is_413_not_400(app):
    for path in ("/twilio/status", "/console/login"):
        body = Body(HUGE)
        status, _, _ = send(app, path, body, length=None)
        assert status == 413, path
        assert body.read_bytes <= DEFAULT_BODY_BYTES + 1, "read only up to the cap"


def test_a_small_chunked_webhook_is_read_and_checked_as_usual(app, twilio):
    params = {"CallSid": "CA" + "1" * 32, "CallStatus": "completed"}
    signature = twilio.signature(PUBLIC_URL + "/twilio/status", params)
    raw = urlencode(params).encode()
    status, _, _ = send(
        app,
        "/twilio/status",
        Body(len(raw), prefix=raw),
        length=None,
        headers={"X-Twilio-Signature": signature},
    )
    assert status == 200


def test_an_api_body_over_the_cap_answers_json(app):
    body = Body(HUGE)
    status, answer, headers = send(app, "/api/v1/tickets/1", body, length=HUGE, method="PATCH")
    assert status == 413 and b'"payload_too_large"' in answer and body.read_bytes == 0
    body = Body(HUGE)
    status, answer, _ = send(app, "/api/v1/tickets/1", body, length=None, method="PATCH")
    assert status == 413 and b'"payload_too_large"' in answer


def test_prompt_uploads_keep_their_own_larger_allowance(admin_world, login):
    browser = login("admin-a")
    station = admin_world["stations"]["a"]
    not_audio = b"\x00not audio" * 20_000  # 200 kB: over the default cap, under 10 MB
    page = browser.client.post(
        f"/admin/stations/{station.id}/prompts/upload",
        data={
            "csrf_token": browser.token(f"/admin/stations/{station.id}/prompts"),
            "name": "big",
            "file": (io.BytesIO(not_audio), "big.wav"),
        },
        content_type="multipart/form-data",
    )
    assert page.status_code == 400  # read and judged: not audio, rather than 413
    assert "文件太大" not in page.get_data(as_text=True)


def test_menu_documents_keep_their_larger_allowance(admin_world, login):
    browser = login("admin-a")
    station = admin_world["stations"]["a"]
    big_yaml = "# " + "注释" * 40_000 + "\n"  # 240 kB of UTF-8, far more url-encoded
    response = browser.client.post(
        f"/admin/stations/{station.id}/menu/validate",
        json={"yaml": big_yaml},
        headers={"X-CSRFToken": browser.token(f"/admin/stations/{station.id}/menu")},
    )
    assert response.status_code == 200 and "ok" in response.get_json()


def test_menu_templates_keep_the_menu_allowance(admin_world, login):
    browser = login("haizhu-admin")
    bulk = browser.client.post(
        "/admin/bulk/templates",
        data={
            "csrf_token": browser.token("/admin/bulk/templates"),
            "name": "big",
            "document": "x" * (DEFAULT_BODY_BYTES * 2),
        },
    )
    assert bulk.status_code != 413
