"""Prompts with ``IVR_STORAGE_BACKEND=database``: uploaded, replaced and deleted through the
admin page, played to Twilio by any web host, measured by the health check from a
private local copy; the replaced and deleted files leave the database."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ivr.db import database
from ivr.menus.lint.facts import PromptRow
from ivr.menus.lint.prompt_levels import forget_levels, levels_of
from ivr.storage import storage
from models import StoredBlob
from tests.ivr.admin.test_prompts import _prompts, _upload, audio_dir, make_audio  # noqa: F401


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(IVR_STORAGE_BACKEND="database")


def _blobs(app) -> int:  # type: ignore[no-untyped-def]
    with database(app).engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(StoredBlob))


def test_a_prompts_life_in_the_database(app, admin_world, login, db_session, audio_dir):  # noqa: F811
    a = admin_world["stations"]["a"]
    browser = login("admin-a")
    assert (
        _upload(browser, a.id, make_audio(audio_dir, "mp3"), "n.mp3", name="notice").status_code
        == 200
    )
    [first] = _prompts(db_session, a.id)
    first_path = first.storage_path
    assert not (app.config["IVR"].storage_dir / "prompts").exists() and _blobs(app) == 1
    played = browser.get(f"/prompts/d{a.id}/notice.wav")
    assert played.status_code == 200 and played.data == storage(app).read(first.storage_path)
    assert (
        browser.get(
            f"/prompts/d{a.id}/notice.wav", headers={"If-None-Match": played.headers["ETag"]}
        ).status_code
        == 304
    )

    forget_levels()
    row = PromptRow(first.name, first.sha256, first.storage_path)
    level = levels_of([row], storage(app))[first.sha256]
    assert not level.missing and not level.error and not level.silent

    longer = make_audio(audio_dir, "mp3", seconds=2.0)
    replaced = _upload(browser, a.id, longer, "n2.mp3", name="notice", replace="1")
    assert replaced.status_code == 200
    [second] = _prompts(db_session, a.id)
    assert second.storage_path != first_path and _blobs(app) == 1
    assert not storage(app).exists(first_path)

    deleted = browser.post(f"/admin/stations/{a.id}/prompts/{second.id}/delete")
    assert deleted.status_code == 200 and _prompts(db_session, a.id) == [] and _blobs(app) == 0
