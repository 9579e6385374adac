"""Hostile or broken input on the admin pages: a clear 4xx or a per-station failure, never a 500."""

from __future__ import annotations

import pytest
import yaml

from ivr.menus import MenuInvalid, parse_menu
from ivr.menus.default_menu import default_menu
from models import MenuVersion
from tests.conftest import fresh

SELF_ALIAS = "start: x\nlanguages: [zh]\nnodes: &a [*a]\n"
LAUGHS = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)
)


def test_aliases_that_expand_without_end_are_refused_at_once():
    with pytest.raises(MenuInvalid, match="aliases expand to more than"):
        parse_menu(LAUGHS)


def test_a_draft_with_aliases_is_kept_and_the_editor_still_opens(admin_world, login, db_session):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    url = f"/admin/stations/{station.id}/menu"
    saved = browser.post(url, yaml=SELF_ALIAS, action="draft", base_version="0", note="")
    assert saved.status_code == 200
    assert fresh(db_session).query(MenuVersion).count() == 1  # work is never lost
    page = browser.get(url)
    assert page.status_code == 200
    token = browser.token("/console/")
    checked = browser.client.post(
        f"{url}/validate", json={"yaml": LAUGHS}, headers={"X-CSRFToken": token}
    )
    assert checked.status_code == 200 and checked.get_json()["ok"] is False


def test_json_nested_too_deeply_is_a_bad_request(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    token = browser.token("/console/")
    response = browser.client.post(
        f"/admin/stations/{station.id}/menu/validate",
        data="[" * 100_000,
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/admin/stations/{id}/menu/history?a=%C2%B2&b=1",
        "/prompts/v%C2%B2/x.wav",
        "/prompts/d%C2%B2/x.wav",
    ],
)
def test_non_ascii_digits_are_not_numbers(admin_world, login, path):
    station = admin_world["stations"]["a"]
    response = login("admin-a").get(path.format(id=station.id))
    assert response.status_code in (200, 404)


def test_a_non_ascii_base_version_is_refused(admin_world, login, db_session):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    url = f"/admin/stations/{station.id}/menu"
    good = yaml.safe_dump(default_menu(["zh"]), allow_unicode=True)
    response = browser.post(url, yaml=good, action="draft", base_version="²", note="")
    assert 400 <= response.status_code < 500
    assert fresh(db_session).query(MenuVersion).count() == 0


def test_a_test_call_with_a_broken_state_is_a_clear_refusal(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    url = f"/admin/stations/{station.id}/test-call"
    for fields in ({"transcript": "[" * 50_000}, {"attempt": "1" * 5000}):
        form = {"event": "press", "key": "1", "version": "live", "origin": "d1", **fields}
        response = browser.client.post(url, data={"csrf_token": browser.token(url), **form})
        assert 400 <= response.status_code < 500


def test_a_nul_character_in_a_form_is_refused_and_changes_nothing(admin_world, login, db_session):
    station = admin_world["stations"]["a"]
    response = login("admin-a").post(
        f"/admin/stations/{station.id}/profile",
        settings_version="1",
        name_zh="南洲\x00街",
        name_en="",
        languages="zh",
        timezone="Asia/Shanghai",
    )
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert fresh(db_session).get(type(station), station.id).name_zh == "南洲街"


def test_one_stations_unmergeable_draft_fails_that_station_alone(admin_world, login, db_session):
    a, a2 = admin_world["stations"]["a"], admin_world["stations"]["a2"]
    browser = login("admin-a")
    broken = "start: main\nlanguages: 5\nnodes: {main: {kind: hangup}}\n"
    browser.post(f"/admin/stations/{a.id}/menu", yaml=broken, action="draft", base_version="0")
    admin = login("haizhu-admin")
    page = admin.post(
        "/admin/bulk",
        what="notice",
        node_id="policy_notice",
        prompt_zh="新的防疫通知。",
        placement="after_language",
        publish="1",
        station=[str(a.id), str(a2.id)],
        step="apply",
    )
    assert page.status_code == 200
    versions = fresh(db_session).query(MenuVersion)
    assert versions.filter_by(station_id=a2.id).count() == 1  # the other station got it
    assert versions.filter_by(station_id=a.id).count() == 1  # only the broken draft


def test_a_draft_holding_itself_many_times_over_still_lets_the_prompt_page_open(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    looped = "nodes: &n {a: {play: x.wav}, " + ", ".join(f"k{i}: *n" for i in range(10)) + "}\n"
    browser.post(
        f"/admin/stations/{station.id}/menu", yaml=looped, action="draft", base_version="0"
    )
    assert browser.get(f"/admin/stations/{station.id}/prompts").status_code == 200
    assert browser.get(f"/admin/stations/{station.id}/menu").status_code == 200
