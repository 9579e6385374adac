"""Working a ticket: the trail names people and stations, a stale form keeps its text,
referral targets by district, reopening, Chinese tags, priority."""

from __future__ import annotations

import re

from models import Ticket, TicketEventKind, TicketStatus, User
from tests.conftest import fresh


def _ticket(db_session, ticket_id: int) -> Ticket:  # type: ignore[no-untyped-def]
    return fresh(db_session).get(Ticket, ticket_id)


def _names(db_session, world) -> None:  # type: ignore[no-untyped-def]
    for username, name in (("worker-a", "张丽"), ("colleague-a", "李明")):
        db_session.get(User, world["users"][username].id).display_name = name
    db_session.commit()


def _trail(page: str) -> str:
    return page[page.index('id="trail"') :]


def test_the_trail_names_who_acted_to_whom_and_the_stations(world, login, db_session):
    _names(db_session, world)
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    colleague = world["users"]["colleague-a"]
    browser.post(f"/console/tickets/{ticket.id}/assign", assignee=str(colleague.id), version="1")
    browser.post(f"/console/tickets/{ticket.id}/attempt", outcome="busy", version="2")
    browser.post(f"/console/tickets/{ticket.id}/note", text="下午再打", version="3")
    browser.post(
        f"/console/tickets/{ticket.id}/refer",
        station="haizhu-fengyang",
        reason="住在凤阳街",
        version="4",
    )
    trail = _trail(browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True))
    assignment = re.search(r'<li class="event e-assigned".*?</li>', trail, re.S).group(0)
    assert "张丽" in assignment and "给 李明" in assignment
    attempt = re.search(r'<li class="event e-callback_attempt".*?</li>', trail, re.S).group(0)
    assert "张丽" in attempt and "占线" in attempt and "南洲街" in attempt
    note = re.search(r'<li class="event e-note".*?</li>', trail, re.S).group(0)
    assert "张丽" in note and "下午再打" in note
    referral = re.search(r'<li class="event e-referred".*?</li>', trail, re.S).group(0)
    assert "南洲街 → 凤阳街" in referral and "haizhu-fengyang" not in referral
    assert "张丽" in referral and "住在凤阳街" in referral


def test_a_stale_form_keeps_the_text_and_shows_what_changed(
    world, login, second_browser, db_session
):
    _names(db_session, world)
    mine = login("worker-a")
    ticket = world["tickets"]["a"]
    page = mine.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    second_browser.login("colleague-a")
    second_browser.post(
        f"/console/tickets/{ticket.id}/attempt", outcome="reached", text="已送米", version="1"
    )
    stale = mine.post(
        f"/console/tickets/{ticket.id}/note",
        text="居民说米已经够了，还缺油",
        version="1",
        seen=seen,
    )
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert ">居民说米已经够了，还缺油</textarea>" in text
    changed = text[text.index('id="changed"') : text.index('class="ticket-grid"')]
    assert "李明" in changed and "已联系上" in changed and "已送米" in changed
    # The re-shown form carries the current version: sending it again saves the note.
    version = re.search(
        r'id="note-form">\s*<input[^>]*><input type="hidden" name="version" value="(\d+)"', text
    )
    assert version is not None and version.group(1) == "2"
    mine.post(f"/console/tickets/{ticket.id}/note", text="居民说米已经够了，还缺油", version="2")
    row = _ticket(db_session, ticket.id)
    assert [e.kind for e in row.events][-1] is TicketEventKind.NOTE
    assert row.events[-1].note == "居民说米已经够了，还缺油"


def test_referral_targets_are_grouped_by_district_home_first(world, login):
    page = (
        login("worker-a").get(f"/console/tickets/{world['tickets']['a'].id}").get_data(as_text=True)
    )
    select = page[
        page.index('id="station-select"') : page.index(
            "</select>", page.index('id="station-select"')
        )
    ]
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups == ["海珠区", "白云区"]
    assert 'value="haizhu-fengyang"' in select and 'value="baiyun-tongde"' in select
    assert 'value="haizhu-nanzhou"' not in select  # not its own station
    assert ">凤阳街</option>" in select


def test_reopen_needs_a_reason_and_is_in_the_trail(world, login, db_session):
    _names(db_session, world)
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    browser.post(
        f"/console/tickets/{ticket.id}/resolve", category="food", problems="2", version="1"
    )
    page = browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert 'id="reopen-form"' in page and 'id="resolve-form"' not in page
    refused = browser.post(f"/console/tickets/{ticket.id}/reopen", reason="  ", version="2")
    assert refused.status_code == 422 and "备注不能为空" in refused.get_data(as_text=True)
    browser.post(f"/console/tickets/{ticket.id}/reopen", reason="居民又来电：油没送到", version="2")
    row = _ticket(db_session, ticket.id)
    assert row.status is TicketStatus.OPEN and row.resolved_at is None, row.version_id
    assert row.resolution_category is None and row.problems_solved == 0
    event = row.events[-1]
    assert event.kind is TicketEventKind.REOPENED and event.note == "居民又来电：油没送到"
    assert event.data["category"] == "food" and event.data["problems_solved"] == 2
    trail = _trail(browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True))
    assert "重新打开" in trail and "张丽" in trail and "油没送到" in trail
    again = browser.post(f"/console/tickets/{ticket.id}/reopen", reason="x", version="3")
    assert "只有已结案的工单可以重新打开" in again.get_data(as_text=True)


def test_chinese_tags_are_normalised_shown_and_filter_the_queue(world, login, db_session):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    browser.post(
        f"/console/tickets/{ticket.id}/tags",
        tags=" 买  菜 ，ＷＨＥＥＬ chair、药品,买 菜,food",
        version="1",
    )
    row = _ticket(db_session, ticket.id)
    assert sorted(t.code for t in row.tags) == sorted(["买 菜", "wheel chair", "medicine", "food"])
    page = browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    head = page[: page.index('class="ticket-grid"')]
    assert "买 菜" in head and "药品" in head and "食物和日用品" in head
    # The edit field shows the catalogue tags by name; saving it again changes nothing.
    field = re.search(r'name="tags" aria-label="[^"]*" value="([^"]*)"', page).group(1)
    assert "药品" in field and "medicine" not in field
    browser.post(f"/console/tickets/{ticket.id}/tags", tags=field, version="2")
    assert _ticket(db_session, ticket.id).version_id == 2
    for wanted in ("买 菜", "买菜 ", "药品", "medicine", "Wheel  Chair"):
        queue = browser.get("/console/", query_string={"tag": wanted}).get_data(as_text=True)
        if wanted == "买菜 ":
            assert f"#{ticket.id}" not in queue  # 买菜 is not 买 菜
        else:
            assert f"#{ticket.id}" in queue, wanted
    assert f"#{ticket.id}" not in browser.get("/console/?tag=policy").get_data(as_text=True)


def test_priority_is_a_workers_call_and_is_in_the_trail(world, login, db_session):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    before = _ticket(db_session, ticket.id).due_at
    browser.post(f"/console/tickets/{ticket.id}/priority", priority="urgent", version="1")
    row = _ticket(db_session, ticket.id)
    assert row.priority == 0 and row.due_at < before
    assert row.events[-1].kind is TicketEventKind.PRIORITY_CHANGED
    # The due time it had stays in the trail: statistics recompute the day it fell on.
    assert row.events[-1].data == {"from": "normal", "to": "urgent", "due_at": before.isoformat()}
    trail = _trail(browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True))
    assert "一般 → 紧急" in trail
    refused = browser.post(f"/console/tickets/{ticket.id}/priority", priority="soon", version="2")
    assert refused.status_code == 422 and "请选择优先级" in refused.get_data(as_text=True)
