"""Reading and working a ticket in the console."""

from __future__ import annotations

from models import Ticket, TicketEventKind, TicketStatus
from tests.conftest import fresh
from tests.ivr.console.conftest import RESIDENT_A


def _ticket(db_session, ticket_id: int) -> Ticket:  # type: ignore[no-untyped-def]
    return fresh(db_session).get(Ticket, ticket_id)


def test_the_number_is_masked_until_the_ticket_is_mine(world, login):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    page = browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert RESIDENT_A not in page and "+86139****5678" in page
    browser.post(f"/console/tickets/{ticket.id}/assign", claim="1", version="1")
    page = browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert RESIDENT_A in page


def test_the_transcript_is_words_that_know_their_time(world, login):
    page = (
        login("worker-a").get(f"/console/tickets/{world['tickets']['a'].id}").get_data(as_text=True)
    )
    assert '<span class="word " data-start="0.1" data-end="0.3"' in page
    assert '<span class="word low" data-start="0.3"' in page  # confidence 0.4
    assert "独居/孤寡/留守老人" in page
    assert "<audio controls" in page


def test_script_in_names_transcripts_and_notes_is_inert(world, login):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    browser.post(
        f"/console/tickets/{ticket.id}/note", text="<img src=x onerror=alert(1)>", version="1"
    )
    page = browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>米</b>" not in page and "&lt;b&gt;米&lt;/b&gt;" in page
    queue = browser.get("/console/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in queue


def test_a_call_back_attempt_starts_the_work(world, login, db_session):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    page = browser.post(
        f"/console/tickets/{ticket.id}/attempt", outcome="no_answer", text="下午再打", version="1"
    )
    assert "已保存" in page.get_data(as_text=True)
    row = _ticket(db_session, ticket.id)
    assert row.status is TicketStatus.IN_PROGRESS and row.first_callback_at is not None
    event = row.events[-1]
    assert event.kind is TicketEventKind.CALLBACK_ATTEMPT and event.data["outcome"] == "no_answer"
    assert event.actor_id == world["users"]["worker-a"].id and event.note == "下午再打"


def test_tags_notes_and_resolution(world, login, db_session):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    browser.post(f"/console/tickets/{ticket.id}/tags", tags="food，medicine", version="1")
    browser.post(f"/console/tickets/{ticket.id}/note", text="已送米面油", version="2")
    browser.post(
        f"/console/tickets/{ticket.id}/resolve", category="food", problems="2", version="3"
    )
    row = _ticket(db_session, ticket.id)
    assert [t.code for t in row.tags] == ["food", "medicine"]
    assert row.status is TicketStatus.RESOLVED and row.problems_solved == 2
    assert row.resolution_category.value == "food" and row.resolved_at is not None
    kinds = [e.kind for e in row.events]
    assert kinds == [TicketEventKind.TAGGED, TicketEventKind.NOTE, TicketEventKind.RESOLVED]


def test_a_referral_hands_the_case_over_and_both_sides_see_the_trail(
    world, login, second_browser, db_session
):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    browser.post(
        f"/console/tickets/{ticket.id}/refer",
        station="haizhu-fengyang",
        reason="居民住在凤阳街",
        version="1",
    )
    row = _ticket(db_session, ticket.id)
    assert row.station_id == world["stations"]["a2"].id
    assert row.referred_from_station_id == world["stations"]["a"].id
    referred = row.events[-1]
    assert referred.data == {"from_station": "haizhu-nanzhou", "to_station": "haizhu-fengyang"}
    assert referred.note == "居民住在凤阳街"
    # The sending station still reads the case, but can no longer change it.
    page = browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert "居民住在凤阳街" in page and 'id="resolve-form"' not in page
    assert "这张工单已转介到凤阳街" in page
    assert (
        browser.client.post(
            f"/console/tickets/{ticket.id}/note",
            data={"text": "x", "csrf_token": browser.token("/console/")},
        ).status_code
        == 403
    )


def test_refusals_are_messages_not_errors(world, login, db_session):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    cases = [
        ("note", {"text": "长" * 4001}, "备注不能超过4000字"),
        ("note", {"text": "   "}, "备注不能为空"),
        ("tags", {"tags": "Food!,<x>"}, "标签格式不正确"),
        ("attempt", {"outcome": "teleported"}, "请选择回电结果"),
        ("refer", {"station": "nowhere", "reason": "x"}, "找不到要转介的社工站"),
        ("resolve", {"category": "food", "problems": "1000"}, "解决问题数应在0到99之间"),
        ("resolve", {"category": "magic", "problems": "1"}, "请选择结案类别"),
    ]
    for action, form, message in cases:
        response = browser.post(f"/console/tickets/{ticket.id}/{action}", version="1", **form)
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and message in page, action
    refused = browser.post(f"/console/tickets/{ticket.id}/note", version="1", text="长" * 4001)
    assert ">" + "长" * 4001 + "</textarea>" in refused.get_data(as_text=True)
    assert _ticket(db_session, ticket.id).events == []


def test_a_stale_form_does_not_overwrite_a_colleagues_change(world, login, db_session):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    browser.post(f"/console/tickets/{ticket.id}/tags", tags="food", version="1")
    stale = browser.post(f"/console/tickets/{ticket.id}/tags", tags="policy", version="1")
    assert stale.status_code == 409 and "被修改过" in stale.get_data(as_text=True)
    assert [t.code for t in _ticket(db_session, ticket.id).tags] == ["food"]


def test_bad_filters_are_ignored_with_a_message(world, login):
    page = login("worker-a").get("/console/?status=xyz&date=yesterday&tag=<b>")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "未知的状态筛选" in text and "日期格式应为" in text and "标签筛选格式不正确" in text


def test_filters_narrow_the_queue(world, login, db_session):
    browser = login("worker-a")
    ticket = world["tickets"]["a"]
    assert f"#{ticket.id}" not in browser.get("/console/?mine=1").get_data(as_text=True)
    browser.post(f"/console/tickets/{ticket.id}/assign", claim="1", version="1")
    assert f"#{ticket.id}" in browser.get("/console/?mine=1").get_data(as_text=True)
    assert f"#{ticket.id}" not in browser.get("/console/?urgent=1").get_data(as_text=True)
    assert f"#{ticket.id}" not in browser.get("/console/?status=resolved").get_data(as_text=True)


def test_caller_history_within_scope(world, login):
    ticket = world["tickets"]["a"]
    page = login("worker-a").get(f"/console/callers/{ticket.caller_id}").get_data(as_text=True)
    assert f"#{ticket.id}" in page and "+86139****5678" in page
