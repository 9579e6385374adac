"""``GET /tickets``: filters, keyset pagination, masking and scope."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.tickets.tags import get_tags
from models import Priority, TicketStatus, utcnow
from tests import factories
from tests.ivr.api.conftest import error_code


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_keyset_pages_cover_every_ticket_once_in_queue_order(api, world, db_session):
    now = utcnow()
    due = now + timedelta(hours=3)
    specs = [  # (priority, due) — ties on both exercise the id tiebreak
        (Priority.NORMAL, due),
        (Priority.URGENT, due + timedelta(hours=1)),
        (Priority.NORMAL, due),
        (Priority.LOW, due - timedelta(hours=2)),
        (Priority.URGENT, due),
        (Priority.NORMAL, due - timedelta(minutes=1)),
        (Priority.NORMAL, due),
    ]
    rows = [factories.ticket(db_session, world.a, priority=int(p), due_at=d) for p, d in specs]
    db_session.commit()
    expected = [t.id for t in sorted(rows, key=lambda t: (t.priority, t.due_at, t.id))]

    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api("worker-a").get("/tickets", **params).get_json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 3


def test_a_full_last_page_ends_without_a_dangling_cursor(api, world, db_session):
    for _ in range(3):
        factories.ticket(db_session, world.a)
    db_session.commit()
    body = api("worker-a").get("/tickets", limit=3).get_json()
    assert len(body["items"]) == 3 and body["next_cursor"] is None


def test_filters(api, world, db_session):
    now = utcnow()
    food = factories.ticket(db_session, world.a, opened_at=now - timedelta(days=3))
    food.tags = get_tags(db_session, ["food"])
    urgent = factories.ticket(db_session, world.a, priority=int(Priority.URGENT))
    late = factories.ticket(db_session, world.a, due_at=now - timedelta(hours=1))
    done = factories.ticket(
        db_session, world.a, status=TicketStatus.RESOLVED, due_at=now - timedelta(hours=1)
    )
    mine = factories.ticket(db_session, world.a, assignee_id=world.users["worker-a"].id)
    theirs = factories.ticket(db_session, world.a, assignee_id=world.users["colleague-a"].id)
    elsewhere = factories.ticket(db_session, world.a2)
    db_session.commit()
    admin = api("haizhu-admin")
    everything = {food.id, urgent.id, late.id, done.id, mine.id, theirs.id, elsewhere.id}

    assert set(_ids(admin.get("/tickets"))) == everything
    assert set(_ids(admin.get("/tickets", status="resolved"))) == {done.id}
    assert set(_ids(admin.get("/tickets", station="haizhu-fengyang"))) == {elsewhere.id}
    assert set(_ids(admin.get("/tickets", station="no-such-station"))) == set()
    assert set(_ids(admin.get("/tickets", tag="food"))) == {food.id}
    assert set(_ids(admin.get("/tickets", urgent="true"))) == {urgent.id}
    assert urgent.id not in _ids(admin.get("/tickets", urgent="false"))
    assert set(_ids(admin.get("/tickets", overdue="true"))) == {late.id}
    assert set(_ids(admin.get("/tickets", overdue="false"))) == everything - {late.id}
    assert set(_ids(api("worker-a").get("/tickets", assignee="me"))) == {mine.id}
    assert set(_ids(admin.get("/tickets", assignee="colleague-a"))) == {theirs.id}
    assert set(_ids(admin.get("/tickets", assignee="none"))) == everything - {mine.id, theirs.id}
    today = now.date().isoformat()
    assert food.id not in _ids(admin.get("/tickets", since=today))
    assert set(_ids(admin.get("/tickets", until=(now - timedelta(days=1)).date().isoformat()))) == {
        food.id
    }
    window = {
        "since": (now - timedelta(days=4)).isoformat(),
        "until": (now - timedelta(days=2)).isoformat(),
    }
    assert set(_ids(admin.get("/tickets", **window))) == {food.id}
    assert set(
        _ids(admin.get("/tickets", status="open", station="haizhu-nanzhou", urgent="true"))
    ) == {urgent.id}


def test_numbers_are_masked_unless_the_ticket_is_yours(api, world, db_session):
    caller = factories.caller(db_session, "+8613812345678")
    ticket = factories.ticket(db_session, world.a, caller)
    db_session.commit()

    item = api("worker-a").get("/tickets").get_json()["items"][0]
    assert item["caller_number"] == "+86138****5678" and item["caller_number_masked"] is True

    ticket.assignee_id = world.users["worker-a"].id
    db_session.commit()
    item = api("worker-a").get("/tickets").get_json()["items"][0]
    assert item["caller_number"] == "+8613812345678" and item["caller_number_masked"] is False
    assert api("haizhu-admin").get("/tickets").get_json()["items"][0]["caller_number_masked"]


def test_the_item_shape(api, world, db_session):
    ticket = factories.ticket(db_session, world.a, priority=int(Priority.HIGH))
    ticket.tags = get_tags(db_session, ["medicine", "lone_elderly"])
    db_session.commit()
    item = api("worker-a").get("/tickets").get_json()["items"][0]
    assert item["station"] == "haizhu-nanzhou"
    assert item["priority"] == "high" and item["status"] == "open"
    assert item["tags"] == ["lone_elderly", "medicine"]
    assert item["opened_at"].endswith("Z") and item["due_at"].endswith("Z")
    assert item["version"] == 1 and item["overdue"] is False


@pytest.mark.parametrize(
    "params",
    [
        {"status": "closed"},
        {"urgent": "yes"},
        {"overdue": "1"},
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "ten"},
        {"cursor": "not-a-cursor"},
        {"cursor": "WyJjYWxscyIsIjIwMjQtMDEtMDFUMDA6MDA6MDBaIiwxXQ"},  # a calls cursor
        {"since": "yesterday"},
        {"until": "2024-02-30"},
        {"since": "2024-05-01T08:00:00"},  # no offset: which time zone?
        {"tag": ""},
        {"tag": "x" * 33},
        {"station": "../etc"},
        {"assignee": "x" * 65},
        {"sort": "due_at"},
        {"status": ["open", "resolved"]},
    ],
)
def test_bad_filters_are_a_clear_400(api, world, params):
    response = api("worker-a").get("/tickets", **params)
    assert response.status_code == 400
    assert error_code(response) in {"invalid_parameter", "unknown_parameter"}


def test_a_tag_with_no_normal_form_finds_nothing(api, world, db_session):
    # Any text of 1 to 32 characters is a well-formed filter; one that no tag can be
    # (here angle brackets) simply matches no ticket.
    factories.ticket(db_session, world.a)
    db_session.commit()
    assert api("worker-a").get("/tickets").get_json()["items"]
    response = api("worker-a").get("/tickets", tag="Not<A>Tag")
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_limit_bounds_are_accepted(api, world):
    assert api("worker-a").get("/tickets", limit=1).status_code == 200
    assert api("worker-a").get("/tickets", limit=200).status_code == 200


def test_a_referred_ticket_lists_at_the_receiver_and_under_the_senders_referred_out(
    api, world, db_session
):
    ticket = factories.ticket(db_session, world.a)
    ticket.referred_from_station_id, ticket.station_id = world.a.id, world.b.id
    db_session.commit()
    assert ticket.id not in _ids(api("worker-a").get("/tickets"))
    assert _ids(api("worker-a").get("/tickets", view="referred_out")) == [ticket.id]
    assert ticket.id in _ids(api("worker-b").get("/tickets"))
    assert _ids(api("worker-b").get("/tickets", view="referred_out")) == []
    assert ticket.id not in _ids(api("haizhu-admin").get("/tickets"))
    assert error_code(api("worker-a").get("/tickets", view="sideways")) == "invalid_parameter"


def test_search_by_number_part_or_ticket_number(api, world, db_session):
    mine = factories.ticket(db_session, world.a, factories.caller(db_session, "+8613812345678"))
    other = factories.ticket(db_session, world.a)
    db_session.commit()
    assert _ids(api("worker-a").get("/tickets", q="5678")) == [mine.id]
    assert _ids(api("worker-a").get("/tickets", q=f"#{other.id}")) == [other.id]
    assert _ids(api("worker-b").get("/tickets", q="5678")) == []
