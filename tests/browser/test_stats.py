"""The statistics table in a real browser: names in pinyin order, minutes said as minutes,
and the name column still in view when the figures scroll sideways on a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from models import utcnow
from tests import factories
from tests.browser.conftest import PHONE, sign_in
from tests.ivr.console.conftest import world  # noqa: F401 - the shared fixture
from tests.ivr.stats.conftest import stats_world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.browser

DISTRICTS = ["白云区", "海珠区", "黄埔区", "荔湾区", "越秀区"]  # bai hai huang li yue
STATIONS = ["赤岗街", "凤阳街", "江海街", "南洲街", "沙园街"]  # chi feng jiang nan sha


@pytest.fixture
def city_of_names(stats_world, db_session):  # noqa: F811 - the imported fixture
    """More districts and stations (code, code point and pinyin orders all differ), and
    南洲街's ticket called back 125 minutes after its voicemail."""
    for code, name in [("a-yuexiu", "越秀区"), ("b-liwan", "荔湾区"), ("c-huangpu", "黄埔区")]:
        factories.district(db_session, code=code, name_zh=name)
    haizhu = stats_world["stations"]["a"].district
    for code, name in [("haizhu-a", "沙园街"), ("haizhu-b", "赤岗街"), ("haizhu-c", "江海街")]:
        factories.station(db_session, haizhu, code=code, name_zh=name)
    ticket = stats_world["tickets"]["a"]
    left = utcnow() - timedelta(hours=3)
    ticket.opened_at = ticket.voicemails[0].created_at = left
    ticket.first_callback_at = left + timedelta(minutes=125)
    db_session.commit()
    return stats_world


def names_shown(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.strip() for n in page.locator("table.breakdown tbody th").all_inner_texts()]


def scroll_the_table_to_its_end(page) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Scroll the breakdown sideways as far as it goes; then say what is where."""
    return page.evaluate(
        """() => {
        const box = document.querySelector('table.breakdown').closest('.scroll');
        box.scrollIntoView();
        box.scrollLeft = box.scrollWidth;
        const edge = box.getBoundingClientRect();
        const name = document.querySelector('table.breakdown tbody th');
        const first = document.querySelector('table.breakdown tbody td');
        const at = (el) => {
            const r = el.getBoundingClientRect();
            return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        };
        const rect = name.getBoundingClientRect();
        return {
            scrolled: box.scrollLeft,
            inside: rect.left >= edge.left - 1 && rect.right <= edge.right + 1,
            nameOnTop: name.contains(at(name)),
            firstFigureOnTop: first.contains(at(first)),
            pageWidth: document.documentElement.scrollWidth,
            viewport: window.innerWidth,
        };
    }"""
    )


def minutes_columns(page) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """(header, cells) of every column whose header speaks of minutes, in both tables."""
    found = []
    for table in ("table.sla", "table.breakdown"):
        headers = page.locator(f"{table} thead th").all_inner_texts()
        rows = page.locator(f"{table} tbody tr")
        for index, header in enumerate(headers):
            if "分钟" in header or "minutes" in header:
                cells = [
                    rows.nth(r).locator("th, td").nth(index).inner_text().strip()
                    for r in range(rows.count())
                ]
                found.append((header.strip(), cells))
    return found


def check_minutes(page) -> None:  # type: ignore[no-untyped-def]
    columns = minutes_columns(page)
    assert len(columns) == 4  # median and p90 above; call-back and resolution medians below
    for header, cells in columns:
        for cell in cells:
            assert re.fullmatch(r"[\d,]+|—", cell), (header, cell)  # never h:mm
    sla = dict(columns[:2])
    assert sla["中位数（分钟）"] == ["125", "—"]  # first call-back; nothing resolved yet


def check_sticky_on_a_phone(page) -> None:  # type: ignore[no-untyped-def]
    page.set_viewport_size(PHONE)
    where = scroll_the_table_to_its_end(page)
    assert where["scrolled"] > 200, where  # the figures did move sideways...
    assert where["inside"] and where["nameOnTop"], where  # ...and the name stayed
    assert not where["firstFigureOnTop"], where  # the first figure slid under it
    assert where["pageWidth"] <= where["viewport"], where  # the table, not the page, scrolls


def keep_scrolled(page, shots, name: str) -> None:  # type: ignore[no-untyped-def]
    """Both widths as ``shots`` keeps them, and the phone's view of the table scrolled to
    its end beside them (``<name>-scrolled-phone.png``)."""
    desktop = shots(page, f"{name}-scrolled")[0]
    page.set_viewport_size(PHONE)
    scroll_the_table_to_its_end(page)
    page.screenshot(path=str(desktop.with_name(f"{name}-scrolled-phone.png")))


def test_the_city_reads_districts_in_pinyin_with_names_held_in_view(
    city_of_names, live_server, page, shots
):
    sign_in(page, live_server, "city")
    page.goto(f"{live_server}/stats/?preset=7d")
    assert names_shown(page) == DISTRICTS
    shots(page, "city")
    page.click("table.breakdown thead th:first-child a")  # by name, Z to A
    page.wait_for_url("**dir=desc**")
    assert names_shown(page) == DISTRICTS[::-1]
    check_sticky_on_a_phone(page)
    keep_scrolled(page, shots, "city")


def test_a_district_admin_reads_stations_in_pinyin_and_minutes_as_minutes(
    city_of_names, live_server, page, shots
):
    sign_in(page, live_server, "haizhu-admin")
    page.goto(f"{live_server}/stats/?preset=7d")
    assert names_shown(page) == STATIONS
    options = page.locator("select[name=scope] option").all_inner_texts()
    assert [o.strip() for o in options] == ["海珠区", *STATIONS]
    check_minutes(page)
    shots(page, "district")
    check_sticky_on_a_phone(page)
    keep_scrolled(page, shots, "district")
