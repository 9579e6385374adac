"""The city admin's retention page says where recordings are kept: a folder only this
server reads, or the database every server reads (and its backups hold)."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["files", "database"])
def app(request, make_app):  # type: ignore[no-untyped-def]
    return make_app(IVR_STORAGE_BACKEND=request.param)


def test_the_city_admin_is_told_where_recordings_are_kept(app, admin_world, login):
    browser = login("city")
    backend = app.config["IVR"].storage_backend
    page = browser.get("/admin/retention").get_data(as_text=True)
    if backend == "database":
        assert "录音和提示音保存在数据库中" in page and "IVR_STORAGE_BACKEND=database" in page
    else:
        assert "保存在这台服务器的文件夹中（IVR_STORAGE_DIR）" in page
    browser.post("/console/language", lang="en")
    english = browser.get("/admin/retention").get_data(as_text=True)
    assert ("kept in the database" if backend == "database" else "other servers cannot") in english
