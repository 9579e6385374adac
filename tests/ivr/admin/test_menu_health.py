"""菜单健康检查 (/admin/menu-health): scoped to the admin's stations, filtered by
severity and district, each problem linking to the editor at its node."""

from __future__ import annotations

import html
import re

from flask import url_for

from models import OnDutyPhone
from tests.ivr.menus.lint_helpers import menu, publish

PROBLEM = re.compile(r'<li class="problem sev-(\w+)" data-check="(\w+)" data-station="([\w-]+)"')


def _problems(page: str) -> set[tuple[str, str, str]]:
    return set(PROBLEM.findall(page))


def _staff(db_session, station) -> None:
    db_session.add(OnDutyPhone(station_id=station.id, number="+8613800000009", position=0))


def _setup(world, db_session) -> None:
    """南洲街: published, staffed, clean. 凤阳街: published, nobody on duty. 同德街 (白云区):
    nothing published, staffed."""
    stations = world["stations"]
    _staff(db_session, stations["a"])
    _staff(db_session, stations["b"])
    for key in ("a", "a2"):
        publish(db_session, stations[key], menu())
    db_session.commit()


def test_a_district_admin_sees_the_district_s_problems_with_links_to_the_node(
    app, world, db_session, login
):
    _setup(world, db_session)
    page = login("haizhu-admin").get("/admin/menu-health").get_data(as_text=True)
    assert _problems(page) == {("error", "forward_unstaffed", "haizhu-fengyang")}
    fengyang = world["stations"]["a2"]
    with app.test_request_context():
        editor = url_for("admin.menu_editor", station_id=fengyang.id) + "#node-forward_worker"
        roster = url_for("admin.roster", station_id=fengyang.id)
    assert f'href="{editor}"' in page and f'href="{roster}"' in page
    assert "baiyun-tongde" not in page and 'name="district"' not in page  # one district only
    assert "检查了 2 个站点（1 个没有问题）" in html.unescape(page)


def test_the_city_admin_sees_every_station_and_filters_by_district_and_severity(
    world, db_session, login
):
    _setup(world, db_session)
    browser = login("city")
    page = browser.get("/admin/menu-health").get_data(as_text=True)
    assert _problems(page) == {
        ("error", "forward_unstaffed", "haizhu-fengyang"),
        ("warning", "no_published_menu", "baiyun-tongde"),
    }
    # 凤阳街's two forwards: its main menu's and the elderly path's.
    assert re.search(r'data-severity="error"[^>]*>错误 <strong>2</strong>', page)
    assert re.search(r'data-severity="warning"[^>]*>警告 <strong>1</strong>', page)
    baiyun = browser.get("/admin/menu-health?district=baiyun").get_data(as_text=True)
    assert _problems(baiyun) == {("warning", "no_published_menu", "baiyun-tongde")}
    errors = browser.get("/admin/menu-health?severity=error").get_data(as_text=True)
    assert _problems(errors) == {("error", "forward_unstaffed", "haizhu-fengyang")}
    none = browser.get("/admin/menu-health?severity=info").get_data(as_text=True)
    assert _problems(none) == set() and 'id="health-clean"' in none


def test_a_district_admin_cannot_see_another_district_by_asking(world, db_session, login):
    _setup(world, db_session)
    page = login("haizhu-admin").get("/admin/menu-health?district=baiyun").get_data(as_text=True)
    assert "baiyun-tongde" not in page and "同德街" not in page
    assert ("error", "forward_unstaffed", "haizhu-fengyang") in _problems(page)


def test_station_admins_and_workers_are_refused(admin_world, login, second_browser):
    assert login("admin-a").get("/admin/menu-health").status_code == 403
    assert second_browser.login("worker-a").status_code == 302
    assert second_browser.get("/admin/menu-health").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/admin/menu-health")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


def test_the_admin_index_links_the_check_for_district_and_city_admins(world, login):
    page = login("haizhu-admin").get("/admin/").get_data(as_text=True)
    assert 'id="menu-health-link"' in page and 'href="/admin/menu-health"' in page


def test_the_page_speaks_english_too(world, db_session, login):
    _setup(world, db_session)
    browser = login("city")
    browser.post("/console/language", lang="en", next="/admin/menu-health")
    page = html.unescape(browser.get("/admin/menu-health").get_data(as_text=True))
    assert "Menu health" in page and "the roster is empty" in page
    assert "Nothing published yet" in page
