"""Real headless Chromium (Debian's) against the app served on loopback."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
# Screenshots are kept as test artefacts: IVR_TEST_ARTEFACTS, or test-artefacts/ in the repo.
ARTEFACTS = Path(os.environ.get("IVR_TEST_ARTEFACTS") or ROOT / "test-artefacts")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture
def app(make_app):
    # Served over plain http on loopback, so the session cookie must not be Secure-only.
    return make_app(IVR_PUBLIC_URL="http://127.0.0.1")


@pytest.fixture
def live_server(app):
    """The test app on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the console's login form (every test user has PASSWORD)."""
    from tests.ivr.console.conftest import PASSWORD

    page.goto(f"{base}/console/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{base}/console/")


@pytest.fixture
def shots(request):
    """``shots(page, "queue")`` saves the page at desktop and phone widths as artefacts.

    Files land in ``<artefacts>/screenshots/<test name>/<name>-desktop.png`` and
    ``-phone.png``; the page is left at the width it had.
    """
    folder = ARTEFACTS / "screenshots" / re.sub(r"[^\w.-]+", "_", request.node.name)

    def take(page, name: str) -> list[Path]:  # type: ignore[no-untyped-def]
        folder.mkdir(parents=True, exist_ok=True)
        before = page.viewport_size
        taken = []
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            page.set_viewport_size(size)
            path = folder / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            taken.append(path)
        if before:
            page.set_viewport_size(before)
        return taken

    return take
