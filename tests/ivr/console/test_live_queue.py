"""The live queue's poll: ETag and 304, what it names, scope, and that it never writes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from ivr.menus.versions import save_version
from ivr.tickets import actions
from ivr.tickets.cases import open_or_merge_ticket, update_ticket
from ivr.tickets.queue_versions import queue_version
from ivr.tickets.scope import Scope
from models import (
    Priority,
    QueueVersion,
    Role,
    Ticket,
    TicketEventKind,
    TicketSource,
    User,
    utcnow,
)
from tests import factories
from tests.conftest import Twilio, fresh
from tests.ivr.voice.helpers import Twiml

CHANGES = "/console/queue/changes"
URGENT_HOTLINE = "+862083009999"
URGENT_MENU = """
start: main
languages: [zh]
nodes:
  main:
    kind: menu
    prompt: {zh: 需要急救请按1。}
    options:
      1: {next: vm_urgent, need: medical}
    fallback: vm_urgent
  vm_urgent:
    kind: voicemail
    prompt: {zh: 请在提示音后留言。}
    tags: [medical]
    priority: urgent
    thanks: {zh: 谢谢，我们会尽快回电。}
"""


def give_urgent_line(session, station) -> str:  # type: ignore[no-untyped-def]
    """``station`` answers URGENT_HOTLINE with a menu whose voicemail is urgent."""
    station.hotline_numbers[0].number = URGENT_HOTLINE
    save_version(session, station, URGENT_MENU, publish=True)
    session.commit()
    return URGENT_HOTLINE


def leave_voicemail(twilio: Twilio, call_sid: str, caller: str, hotline: str):  # type: ignore[no-untyped-def]
    """A resident's call through the real webhooks, up to Twilio's <Record> action."""
    base = {"CallSid": call_sid, "From": caller, "To": hotline, "AccountSid": "AC" + "0" * 32}
    menu = Twiml.of(twilio.post("/twilio/voice", **base))
    record = Twiml.of(twilio.post(menu.action("Gather"), **base, Digits="1"))
    recording = {
        "RecordingSid": "RE" + call_sid[2:],
        "RecordingDuration": "4",
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE{call_sid[2:]}",
    }
    answer = twilio.post(record.action("Record"), **base, **recording)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


def poll(browser, etag: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"If-None-Match": f'"{etag}"'} if etag else {}
    return browser.get(CHANGES, headers=headers)


def etag_of(response) -> str:  # type: ignore[no-untyped-def]
    return response.headers["ETag"].strip('"')


def new_ticket(session, station, number: str, priority=Priority.NORMAL) -> Ticket:  # type: ignore[no-untyped-def]
    caller = factories.caller(session, number)
    ticket = open_or_merge_ticket(
        session,
        station=station,
        caller=caller,
        caller_number=number,
        source=TicketSource.VOICEMAIL,
        priority=priority,
        now=utcnow(),
    )
    session.commit()
    return ticket


def test_an_unchanged_queue_answers_304_without_a_body(world, login):
    browser = login("worker-a")
    first = poll(browser)
    assert first.status_code == 200 and first.json == {"urgent": []}
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert not first.headers["ETag"].startswith("W/")  # strong
    again = poll(browser, etag_of(first))
    assert again.status_code == 304 and again.get_data() == b""
    assert etag_of(again) == etag_of(first)


def test_the_queue_page_starts_from_the_current_etag(world, login):
    browser = login("worker-a")
    page = browser.get("/console/").get_data(as_text=True)
    etag = re.search(r'data-etag="([0-9a-f]+)"', page).group(1)
    assert poll(browser, etag).status_code == 304
    assert 'data-url="/console/queue/changes"' in page and 'data-interval="15"' in page


def test_a_new_urgent_ticket_changes_the_answer_and_is_named(world, login, db_session):
    browser = login("worker-a")
    etag = etag_of(poll(browser))
    ticket = new_ticket(db_session, world["stations"]["a"], "+8613900000001", Priority.URGENT)
    changed = poll(browser, etag)
    assert changed.status_code == 200 and changed.json == {"urgent": [ticket.id]}
    assert poll(browser, etag_of(changed)).status_code == 304


def test_a_webhook_voicemail_changes_the_queue_of_its_station(world, login, db_session, client):
    hotline = give_urgent_line(db_session, world["stations"]["a"])
    browser = login("worker-a")
    etag = etag_of(poll(browser))
    leave_voicemail(Twilio(client), "CA" + "7" * 32, "+8613911112222", hotline)
    ticket = fresh(db_session).scalar(
        select(Ticket)
        .where(Ticket.station_id == world["stations"]["a"].id)
        .order_by(Ticket.id.desc())
    )
    assert ticket.priority == Priority.URGENT
    changed = poll(browser, etag)
    assert changed.status_code == 200 and changed.json["urgent"] == [ticket.id]


def test_every_kind_of_change_moves_the_version(world, db_session):
    """Opening, an ORM update, a trail entry alone, a referral (both sides)."""
    a, b = world["stations"]["a"], world["stations"]["b"]
    station_a = Scope(Role.WORKER, station_id=a.id)
    station_b = Scope(Role.WORKER, station_id=b.id)
    ticket = world["tickets"]["a"]
    seen = [queue_version(db_session, station_a)]

    def moved() -> bool:
        seen.append(queue_version(fresh(db_session), station_a))
        return seen[-1] > seen[-2]

    actor = db_session.scalar(select(User).where(User.username == "worker-a"))
    update_ticket(db_session, ticket, TicketEventKind.TAGGED, tags=["food"])  # trail + tags
    db_session.commit()
    assert moved()
    actions.add_note(db_session, ticket, actor, "已联系家属")
    db_session.commit()
    assert moved()
    ticket.priority = int(Priority.HIGH)  # a bare update, as a script might make
    db_session.commit()
    assert moved()
    before_b = queue_version(db_session, station_b)
    actions.refer(db_session, ticket, actor, "baiyun-tongde", "住在同德街")
    db_session.commit()
    assert moved() and queue_version(fresh(db_session), station_b) > before_b
    assert not moved()  # reading changes nothing


def test_a_worker_learns_nothing_of_another_stations_changes(world, login, db_session):
    a_worker = login("worker-a")
    a_etag = etag_of(poll(a_worker))
    b_ticket = world["tickets"]["b"]
    new_ticket(db_session, world["stations"]["b"], "+8613900000002", Priority.URGENT)
    new_ticket(db_session, world["stations"]["a2"], "+8613900000003", Priority.URGENT)
    actor = db_session.scalar(select(User).where(User.username == "worker-b"))
    actions.add_note(db_session, db_session.get(Ticket, b_ticket.id), actor, "note")
    db_session.commit()
    assert poll(a_worker, a_etag).status_code == 304


def test_district_and_city_scopes(world, login, second_browser, db_session):
    """海珠区's admin sees 南洲街 and 凤阳街 change, not 同德街 (白云区); the city sees all,
    the unassigned queue too."""
    district = login("haizhu-admin")
    second_browser.login("city")
    d_etag, c_etag = etag_of(poll(district)), etag_of(poll(second_browser))

    elsewhere = new_ticket(db_session, world["stations"]["b"], "+8613900000004", Priority.URGENT)
    assert poll(district, d_etag).status_code == 304
    city = poll(second_browser, c_etag)
    assert city.status_code == 200 and city.json["urgent"] == [elsewhere.id]
    c_etag = etag_of(city)

    unassigned = new_ticket(db_session, None, "+8613900000005", Priority.URGENT)
    assert poll(district, d_etag).status_code == 304
    city = poll(second_browser, c_etag)
    assert city.status_code == 200 and city.json["urgent"] == [unassigned.id, elsewhere.id]

    here = new_ticket(db_session, world["stations"]["a2"], "+8613900000006", Priority.URGENT)
    changed = poll(district, d_etag)
    assert changed.status_code == 200 and changed.json["urgent"] == [here.id]


def test_a_referral_moves_the_urgent_cue_to_the_receiving_station(
    world, login, second_browser, db_session
):
    ticket = new_ticket(db_session, world["stations"]["a"], "+8613900000007", Priority.URGENT)
    sender = login("worker-a")
    second_browser.login("worker-b")
    a_etag, b_etag = etag_of(poll(sender)), etag_of(poll(second_browser))
    actor = db_session.scalar(select(User).where(User.username == "worker-a"))
    actions.refer(db_session, db_session.get(Ticket, ticket.id), actor, "baiyun-tongde", "住址")
    db_session.commit()
    a_side, b_side = poll(sender, a_etag), poll(second_browser, b_etag)
    assert a_side.status_code == 200 and a_side.json["urgent"] == []  # no longer theirs
    assert b_side.status_code == 200 and b_side.json["urgent"] == [ticket.id]


def test_signed_out_is_a_401_not_a_sign_in_page(world, browser):
    response = poll(browser)
    assert response.status_code == 401 and response.json == {"error": "signed_out"}


def test_polling_writes_nothing_and_sets_no_cookie(world, login, app):
    browser = login("worker-a")
    etag = etag_of(poll(browser))
    statements: list[str] = []
    engines = {app.extensions["ivr.db"].engine, app.extensions["ivr.db"].webhook_engine}

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        answers = [poll(browser, etag) for _ in range(3)] + [poll(browser)]
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
    assert [a.status_code for a in answers] == [304, 304, 304, 200]
    assert all("Set-Cookie" not in a.headers for a in answers)
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s in statements), (
        statements
    )


def test_the_counters_are_kept_by_the_database_itself(world, db_session):
    """A write that bypasses the application (plain SQL) moves the version too."""
    a = world["stations"]["a"]
    before = db_session.get(QueueVersion, a.id)
    before_value = before.version if before else 0
    db_session.execute(
        Ticket.__table__.update()
        .where(Ticket.id == world["tickets"]["a"].id)
        .values(problems_solved=1)
    )
    db_session.commit()
    assert fresh(db_session).get(QueueVersion, a.id).version > before_value


@pytest.mark.parametrize("role", ["worker-b", "haizhu-admin"])
def test_the_unassigned_queue_is_the_citys_alone(world, login, db_session, role):
    browser = login(role)
    etag = etag_of(poll(browser))
    new_ticket(db_session, None, "+8613900000008", Priority.URGENT)
    assert poll(browser, etag).status_code == 304
