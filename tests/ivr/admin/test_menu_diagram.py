"""The menu diagram page: which version is drawn, its warnings, and who may see it."""

from __future__ import annotations

import pytest

from ivr.menus.versions import save_version
from models import MenuStatus, MenuVersion

LIVE = """\
start: main
languages: [zh, en]
nodes:
  main:
    kind: menu
    prompt: {zh: 留言请按1, en: Press 1 to leave a message}
    options: {1: vm}
    fallback: vm
  vm: {kind: voicemail, prompt: {zh: 请留言, en: Please speak}}
"""
DRAFT = LIVE + "  orphan: {kind: hangup, prompt: {zh: '<script>x</script>', en: Bye}}\n"


@pytest.fixture
def versions(admin_world, db_session):
    station = admin_world["stations"]["a"]
    live = save_version(db_session, station, LIVE, publish=True)
    draft = save_version(db_session, station, DRAFT, publish=False)
    db_session.commit()
    return station, live, draft


def test_the_latest_draft_is_drawn_with_its_warnings_linked_to_nodes(login, versions):
    station, _live, draft = versions
    page = login("admin-a").get(f"/admin/stations/{station.id}/menu/diagram").get_data(as_text=True)
    assert f"最新草稿（第{draft.version}版）" in page
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and 'role="img"' in page
    assert 'id="node-main"' in page and 'id="node-orphan"' in page
    assert '<a href="#node-orphan">orphan</a>' in page and "从开始节点无法到达这里" in page
    assert "⚠ 无法到达" in page  # drawn on the node as well as listed
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "按键 1" in page  # edge labels in the interface language


def test_the_live_version_and_a_language_can_be_chosen(login, versions):
    station, live, _draft = versions
    browser = login("admin-a")
    url = f"/admin/stations/{station.id}/menu/diagram"
    page = browser.get(f"{url}?version=live&lang=en").get_data(as_text=True)
    assert 'id="node-orphan"' not in page and "没有发现问题" in page
    assert "“Press 1 to leave a message”" in page and "留言请按1" not in page
    assert '<option value="en" selected>' in page
    page = browser.get(f"{url}?version={live.version}").get_data(as_text=True)
    assert "“留言请按1”" in page and f'<option value="{live.version}" selected>' in page
    assert browser.get(f"{url}?version=99").status_code == 404


def test_a_station_without_a_menu_shows_the_default_template(login, admin_world):
    station = admin_world["stations"]["a"]
    page = login("admin-a").get(f"/admin/stations/{station.id}/menu/diagram").get_data(as_text=True)
    assert "当前生效（默认模板）" in page and 'id="node-main"' in page
    assert 'id="node-vm_general"' in page


def test_a_draft_whose_yaml_cannot_be_read_says_so(login, admin_world, db_session):
    station = admin_world["stations"]["a"]
    db_session.add(
        MenuVersion(
            station_id=station.id, version=1, status=MenuStatus.DRAFT, document="nodes: [oops"
        )
    )
    db_session.commit()
    response = login("admin-a").get(f"/admin/stations/{station.id}/menu/diagram")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "YAML 无法读取" in page
    assert "⚠ 无法画图" in page


def test_scoping(login, versions):
    station = versions[0]
    url = f"/admin/stations/{station.id}/menu/diagram"
    assert login("admin-b").get(url).status_code == 404
    assert login("worker-a").get(url).status_code == 403
    assert login("city").get(url).status_code == 200
