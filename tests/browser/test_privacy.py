"""Privacy in a real browser: a sealed recording plays and seeks; the privacy pages work
at a phone's width."""

from __future__ import annotations

import pytest

from ivr.cli.demo_privacy import _tone_wav
from ivr.privacy.keys import new_key
from ivr.privacy.sealed import is_sealed
from ivr.storage import FileStorage
from tests.browser.conftest import sign_in
from tests.ivr.console.conftest import RESIDENT_A, world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser
KEY = new_key()


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(IVR_PUBLIC_URL="http://127.0.0.1", IVR_STORAGE_KEYS=KEY)


@pytest.fixture
def sealed(world, app):  # noqa: F811
    """Ticket A's recording: three seconds of tone, sealed at rest."""
    voicemail = world["tickets"]["a"].voicemails[0]
    path = app.config["IVR"].storage_dir / voicemail.storage_path
    FileStorage(app.config["IVR"].storage_dir, (KEY,)).write(voicemail.storage_path, _tone_wav(3.0))
    assert is_sealed(path.read_bytes())
    return world


def test_a_sealed_recording_plays_and_seeks(sealed, live_server, page):
    ticket = sealed["tickets"]["a"]
    sign_in(page, live_server, "worker-a")
    page.goto(f"{live_server}/console/tickets/{ticket.id}")
    # The player loads nothing until asked (preload="none"): play it.
    page.evaluate("(a => { a.muted = true; a.play(); })(document.querySelector('audio'))")
    page.wait_for_function("document.querySelector('audio').currentTime > 0.1", timeout=15000)
    assert abs(page.evaluate("document.querySelector('audio').duration") - 3.0) < 0.05
    # Seeking works (ranges themselves are checked byte for byte in test_encryption).
    page.evaluate("document.querySelector('audio').currentTime = 2.2")
    page.wait_for_function("document.querySelector('audio').currentTime > 2.3", timeout=15000)
    assert page.evaluate("document.querySelector('audio').error") is None


def test_the_resident_request_page_at_a_phones_width(sealed, live_server, chromium):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, live_server, "city")
    page.goto(f"{live_server}/admin/residents")
    page.fill("input[name=number]", RESIDENT_A)
    page.click("button[value=lookup]")
    assert "留言 1 条，其中 1 条有录音" in page.inner_text("main")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing wider than the phone"
    with page.expect_download() as download:
        page.click("button[value=export]")
    assert download.value.suggested_filename.startswith("resident-+86139")
    context.close()
