"""The queue for triage: what a row shows, search, filters, pages, and referrals' two sides."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ivr.console.labels import due_text
from ivr.tickets.actions import refer
from models import Tag, TagKind, Ticket, TicketStatus, Transcript, utcnow
from tests import factories

ROW = re.compile(r'<li class="ticket-row" data-ticket-id="(\d+)">(.*?)</li>', re.S)


def rows(response) -> dict[int, str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return {int(i): body for i, body in ROW.findall(response.get_data(as_text=True))}


def test_due_times_read_in_the_largest_whole_unit(app):
    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    with app.test_request_context():
        assert due_text(now - timedelta(minutes=42816), now) == ("超时 29 天", True)
        assert due_text(now + timedelta(hours=3, minutes=40), now) == ("剩 3 小时", False)
        assert due_text(now + timedelta(minutes=12, seconds=30), now) == ("剩 12 分钟", False)
        assert due_text(now - timedelta(seconds=20), now) == ("超时 0 分钟", True)


def test_a_row_shows_what_was_said_tags_opened_time_assignee_and_how_late(world, login, db_session):
    ticket = world["tickets"]["a"]
    ticket.opened_at = datetime(2026, 11, 8, 1, 5, tzinfo=UTC)  # 09:05 in Guangzhou
    ticket.due_at = utcnow() - timedelta(days=29, hours=2)
    ticket.assignee_id = world["users"]["colleague-a"].id
    food = Tag(code="food", name_zh="食物", kind=TagKind.NEED)
    ticket.tags = [food]
    db_session.commit()
    row = rows(login("worker-a").get("/console/"))[ticket.id]
    assert "我想买米&lt;script&gt;" in row  # the transcript's first line, escaped
    assert "食物" in row and "11-08 09:05" in row and "colleague-a" in row
    assert "超时 29 天" in row and "分钟" not in row


def test_without_a_transcript_the_row_says_what_the_caller_chose(world, login, db_session):
    station = world["stations"]["a"]
    abandoned = factories.ticket(db_session, station, source="abandoned")
    abandoned.tags = [Tag(code="medicine", name_zh="药品", kind=TagKind.NEED)]
    db_session.commit()
    row = rows(login("worker-a").get("/console/"))[abandoned.id]
    assert "未留言" in row and "来电选择：药品" in row and "未分派" in row


def test_search_by_any_part_of_the_number_the_ticket_number_or_the_words(world, login):
    a, b = world["tickets"]["a"].id, world["tickets"]["b"].id
    worker = login("worker-a")
    assert set(rows(worker.get("/console/?q=5678"))) == {a}  # the last four
    assert set(rows(worker.get("/console/?q=139 1234"))) == {a}  # spaced as people type
    assert set(rows(worker.get("/console/?q=%2B8613912345678"))) == {a}  # the whole number
    assert set(rows(worker.get(f"/console/?q=%23{a}"))) == {a}
    assert set(rows(worker.get(f"/console/?q={a}"))) == {a}
    assert set(rows(worker.get("/console/?q=买米"))) == {a}
    assert rows(worker.get("/console/?q=没说过的话")) == {}
    # Another station's ticket is not found, by number or by its number's digits.
    assert rows(worker.get(f"/console/?q=%23{b}")) == {}
    assert rows(worker.get("/console/?q=87654321")) == {}


def test_a_search_looks_through_resolved_cases_too(world, login, db_session):
    ticket = world["tickets"]["a"]
    ticket.status, ticket.resolved_at = TicketStatus.RESOLVED, utcnow()
    db_session.commit()
    worker = login("worker-a")
    assert ticket.id not in rows(worker.get("/console/"))
    assert ticket.id in rows(worker.get("/console/?q=5678"))
    assert ticket.id not in rows(worker.get("/console/?q=5678&status=active"))


def test_admins_narrow_to_a_district_or_station_within_their_scope(world, login, db_session):
    a2_ticket = factories.ticket(db_session, world["stations"]["a2"])
    unassigned = factories.ticket(db_session, None)
    db_session.commit()
    a, b = world["tickets"]["a"].id, world["tickets"]["b"].id
    district = login("haizhu-admin")
    assert set(rows(district.get("/console/"))) == {a, a2_ticket.id}
    assert set(rows(district.get("/console/?station=haizhu-fengyang"))) == {a2_ticket.id}
    refused = district.get("/console/?station=baiyun-tongde")  # not theirs: ignored, said so
    assert set(rows(refused)) == {a, a2_ticket.id} and "不在你的范围内" in refused.text
    assert 'value="baiyun-tongde"' not in refused.text
    assert set(rows(district.get("/console/?unassigned=1"))) == {a, a2_ticket.id}

    district.client.cookie_jar.clear() if hasattr(district.client, "cookie_jar") else None
    city = login("city")
    assert set(rows(city.get("/console/?district=baiyun"))) == {b}
    assert set(rows(city.get("/console/?station=haizhu-nanzhou"))) == {a}
    page = city.get("/console/")
    assert set(rows(page)) == {a, b, a2_ticket.id, unassigned.id}
    assert 'id="unassigned-queue"' in page.text and 'id="referred-out"' not in page.text
    assert set(rows(city.get("/console/?unassigned=1"))) == {unassigned.id}


def test_pages_follow_on_without_repeating_or_skipping(world, login, db_session):
    station = world["stations"]["a"]
    now = utcnow()
    made = {world["tickets"]["a"].id}
    for i in range(61):  # ties on priority and due time: the id breaks them
        due = now + timedelta(hours=i % 5)
        made.add(factories.ticket(db_session, station, due_at=due, priority=i % 3).id)
    db_session.commit()
    worker, seen, path, pages = login("worker-a"), [], "/console/", 0
    while path:
        response = worker.get(path)
        seen.extend(rows(response))
        pages += 1
        found = re.search(r'rel="next" href="([^"]+)"', response.text)
        path = "/console/" + found.group(1).replace("&amp;", "&") if found else None
    assert pages == 2 and len(seen) == len(set(seen)) and set(seen) == made
    order = [(t.priority, t.due_at, t.id) for t in (db_session.get(Ticket, i) for i in seen)]
    assert order == sorted(order)
    assert "回到第一页" in response.text


def test_a_referral_moves_the_ticket_out_of_the_senders_queue_and_counts(world, login, db_session):
    ticket = world["tickets"]["a"]
    sender = world["users"]["worker-a"]
    refer(db_session, ticket, sender, "baiyun-tongde", "居民搬到同德街")
    db_session.commit()

    worker_a = login("worker-a")
    queue = worker_a.get("/console/")
    assert ticket.id not in rows(queue)
    assert re.search(r"待处理 <b>0</b>", queue.text)
    assert re.search(r"已转介出去 <b>1</b>", queue.text)
    referred = worker_a.get("/console/?view=referred_out")
    row = rows(referred)[ticket.id]
    assert "现在：同德街 · 待回电" in row
    assert worker_a.get(f"/console/tickets/{ticket.id}").status_code == 200  # still readable

    # The receiver works it, and the sender sees its new state.
    ticket.status = TicketStatus.IN_PROGRESS
    db_session.commit()
    assert "现在：同德街 · 处理中" in rows(worker_a.get("/console/?view=referred_out"))[ticket.id]


def test_the_receiving_station_and_district_counts_follow_the_ticket(world, login, db_session):
    ticket = world["tickets"]["a"]
    refer(db_session, ticket, world["users"]["worker-a"], "baiyun-tongde", "搬家")
    db_session.commit()
    worker_b = login("worker-b")
    queue = worker_b.get("/console/")
    assert "待接收 · 来自 南洲街" in rows(queue)[ticket.id]  # until accepted
    assert re.search(r"待处理 <b>2</b>", queue.text)
    assert rows(worker_b.get("/console/?view=referred_out")) == {}


def test_a_district_admin_no_longer_counts_a_ticket_sent_to_another_district(
    world, login, db_session
):
    ticket = world["tickets"]["a"]
    refer(db_session, ticket, world["users"]["worker-a"], "baiyun-tongde", "搬家")
    db_session.commit()
    district = login("haizhu-admin")
    queue = district.get("/console/")
    assert ticket.id not in rows(queue) and re.search(r"待处理 <b>0</b>", queue.text)
    assert ticket.id in rows(district.get("/console/?view=referred_out"))


def test_a_referral_inside_the_district_stays_in_the_district_admins_queue(
    world, login, db_session
):
    ticket = world["tickets"]["a"]
    refer(db_session, ticket, world["users"]["worker-a"], "haizhu-fengyang", "住在凤阳街")
    db_session.commit()
    district = login("haizhu-admin")
    assert ticket.id in rows(district.get("/console/"))
    assert rows(district.get("/console/?view=referred_out")) == {}


def test_first_line_skips_blank_lines_and_shortens(world, login, db_session):
    voicemail = world["tickets"]["a"].voicemails[0]
    transcript = db_session.get(Transcript, voicemail.transcript.id)
    transcript.text = "\n\n" + "长" * 80 + "\n第二行"
    db_session.commit()
    row = rows(login("worker-a").get("/console/"))[world["tickets"]["a"].id]
    assert "长" * 59 + "…" in row and "第二行" not in row
