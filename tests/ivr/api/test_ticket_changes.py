"""``GET/PATCH /tickets/{id}`` and ``POST /tickets/{id}/notes``."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.tickets.tags import get_tags
from models import ResolutionCategory, Ticket, TicketEvent, TicketEventKind, TicketStatus
from tests import factories
from tests.conftest import fresh
from tests.ivr.api.conftest import error_code


@pytest.fixture
def ticket(world, db_session) -> Ticket:
    row = factories.ticket(db_session, world.a)
    row.tags = get_tags(db_session, ["food"])
    factories.voicemail(db_session, row, duration_seconds=12)
    db_session.commit()
    return row


def _kinds(db_session, ticket: Ticket) -> list[TicketEventKind]:
    return list(
        fresh(db_session).scalars(
            select(TicketEvent.kind)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        )
    )


def test_get_shows_voicemails_and_trail(api, ticket):
    body = api("worker-a").get(f"/tickets/{ticket.id}").get_json()
    assert body["id"] == ticket.id and body["can_change"] is True
    assert [v["duration_seconds"] for v in body["voicemails"]] == [12]
    assert body["events"] == []


def test_status_moves_between_open_and_in_progress(api, ticket, db_session):
    worker = api("worker-a")
    body = worker.patch(f"/tickets/{ticket.id}", {"status": "in_progress"}).get_json()
    assert body["status"] == "in_progress" and body["version"] == 2
    body = worker.patch(f"/tickets/{ticket.id}", {"status": "open"}).get_json()
    assert body["status"] == "open"
    assert _kinds(db_session, ticket) == [TicketEventKind.STATUS_CHANGED] * 2
    event = body["events"][-1]
    assert event["actor"] == "worker-a" and event["data"] == {"from": "in_progress", "to": "open"}


def test_tags_and_assignee(api, ticket, db_session):
    response = api("worker-a").patch(
        f"/tickets/{ticket.id}", {"tags": ["food", "medicine"], "assignee": "colleague-a"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["tags"] == ["food", "medicine"] and body["assignee"] == "colleague-a"
    assert TicketEventKind.TAGGED in _kinds(db_session, ticket)

    body = api("worker-a").patch(f"/tickets/{ticket.id}", {"assignee": "me"}).get_json()
    assert body["assignee"] == "worker-a" and body["caller_number_masked"] is False
    body = api("worker-a").patch(f"/tickets/{ticket.id}", {"assignee": None}).get_json()
    assert body["assignee"] is None


def test_resolving_needs_a_category_and_records_it(api, ticket, db_session):
    worker = api("worker-a")
    missing = worker.patch(f"/tickets/{ticket.id}", {"status": "resolved"})
    assert (
        missing.status_code == 400
        and "resolution_category" in missing.get_json()["error"]["message"]
    )

    response = worker.patch(
        f"/tickets/{ticket.id}",
        {
            "status": "resolved",
            "resolution_category": "food",
            "problems_solved": 2,
            "resolution_note": "送米上门",
        },
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "resolved" and body["resolution_category"] == "food"
    row = fresh(db_session).get(Ticket, ticket.id)
    assert row.resolution_category is ResolutionCategory.FOOD and row.problems_solved == 2
    assert row.resolved_at is not None

    again = worker.patch(f"/tickets/{ticket.id}", {"status": "open"})
    assert again.status_code == 422 and error_code(again) == "invalid_change"
    assert "reopen_reason" in again.get_json()["error"]["message"]


def test_a_resolved_ticket_reopens_with_a_reason(api, ticket, db_session):
    worker = api("worker-a")
    resolving = {"status": "resolved", "resolution_category": "food", "problems_solved": 1}
    assert worker.patch(f"/tickets/{ticket.id}", resolving).status_code == 200
    misplaced = worker.patch(f"/tickets/{ticket.id}", {"reopen_reason": "x"})
    assert misplaced.status_code == 400
    response = worker.patch(
        f"/tickets/{ticket.id}", {"status": "in_progress", "reopen_reason": "居民又来电"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "in_progress" and body["resolution_category"] is None
    row = fresh(db_session).get(Ticket, ticket.id)
    assert row.resolved_at is None
    assert _kinds(db_session, ticket)[-2:] == [
        TicketEventKind.REOPENED,
        TicketEventKind.STATUS_CHANGED,
    ]


def test_tags_are_free_text_in_normal_form(api, ticket, db_session):
    worker = api("worker-a")
    response = worker.patch(f"/tickets/{ticket.id}", {"tags": [" 买  菜 ", "药品", "ＷＩＦＩ"]})
    assert response.status_code == 200, response.get_json()
    assert sorted(response.get_json()["tags"]) == sorted(["买 菜", "medicine", "wifi"])
    listed = worker.get("/tickets", tag="买 菜").get_json()
    assert [item["id"] for item in listed["items"]] == [ticket.id]
    assert worker.get("/tickets", tag="药品").get_json()["items"][0]["id"] == ticket.id


def test_a_stale_expected_version_is_a_409_and_changes_nothing(api, ticket, db_session):
    worker = api("worker-a")
    assert (
        worker.patch(
            f"/tickets/{ticket.id}", {"status": "in_progress", "expected_version": 1}
        ).status_code
        == 200
    )
    stale = worker.patch(f"/tickets/{ticket.id}", {"tags": ["medicine"], "expected_version": 1})
    assert stale.status_code == 409 and error_code(stale) == "conflict"
    assert [t.code for t in fresh(db_session).get(Ticket, ticket.id).tags] == ["food"]


def test_a_refused_change_changes_nothing(api, ticket, db_session):
    response = api("worker-a").patch(
        f"/tickets/{ticket.id}", {"tags": ["medicine"], "assignee": "worker-b"}
    )
    assert response.status_code == 422 and error_code(response) == "invalid_change"
    row = fresh(db_session).get(Ticket, ticket.id)
    assert [t.code for t in row.tags] == ["food"] and row.assignee_id is None
    assert _kinds(db_session, ticket) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"tags": [f"t{i}" for i in range(21)]}, 422),
        ({"tags": ["Bad<Tag>"]}, 422),
        ({"tags": ["长" * 33]}, 422),
        ({"tags": "food"}, 400),
        ({"tags": [1]}, 400),
        ({"tags": None}, 400),
        ({"status": "closed"}, 400),
        ({"status": 1}, 400),
        ({"assignee": 7}, 400),
        ({"assignee": "no such person"}, 400),
        ({"assignee": "nobody-here"}, 422),
        ({"expected_version": "1"}, 400),
        ({"expected_version": True}, 400),
        ({"expected_version": 0}, 400),
        ({"priority": "urgent"}, 400),
        ({"resolution_category": "food"}, 400),
        ({"status": "resolved", "resolution_category": "food", "problems_solved": 100}, 400),
        ({"status": "resolved", "resolution_category": "lunch", "problems_solved": 1}, 400),
        (
            {
                "status": "resolved",
                "resolution_category": "food",
                "problems_solved": 1,
                "resolution_note": "x" * 4001,
            },
            422,
        ),
        ([], 400),
        ("status", 400),
    ],
)
def test_bad_changes_get_a_clear_4xx(api, ticket, body, status):
    response = api("worker-a").patch(f"/tickets/{ticket.id}", body)
    assert response.status_code == status, response.get_json()
    error_code(response)


def test_malformed_json_and_wrong_media_type(api, client, world, ticket):
    headers = api("worker-a").headers
    url = f"/api/v1/tickets/{ticket.id}"
    broken = client.patch(url, data="{", content_type="application/json", headers=headers)
    assert broken.status_code == 400 and error_code(broken) == "invalid_json"
    deep = client.patch(url, data="[" * 50_000, content_type="application/json", headers=headers)
    assert deep.status_code == 400 and error_code(deep) == "invalid_json"
    null = client.patch(url, data="null", content_type="application/json", headers=headers)
    assert null.status_code == 400 and error_code(null) == "invalid_body"
    form = client.patch(url, data={"status": "open"}, headers=headers)
    assert form.status_code == 415 and error_code(form) == "unsupported_media_type"
    huge = client.patch(
        url, data='{"tags": []}' + " " * 70_000, content_type="application/json", headers=headers
    )
    assert huge.status_code == 413 and error_code(huge) == "payload_too_large"


def test_adding_a_note(api, ticket, db_session):
    response = api("worker-a").post(
        f"/tickets/{ticket.id}/notes", {"text": "  已电话联系，明天送药  "}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "note" and body["note"] == "已电话联系，明天送药"
    assert body["actor"] == "worker-a" and body["id"] > 0
    assert _kinds(db_session, ticket) == [TicketEventKind.NOTE]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"text": "x" * 4001}, 422),
        ({"text": "   "}, 422),
        ({"text": ""}, 422),
        ({"text": "a\u0000b"}, 400),
        ({"text": 5}, 400),
        ({}, 400),
        ({"text": "ok", "pinned": True}, 400),
        (["text"], 400),
        (None, 415),  # no body at all
    ],
)
def test_bad_notes_get_a_clear_4xx(api, ticket, db_session, body, status):
    response = api("worker-a").post(f"/tickets/{ticket.id}/notes", body)
    assert response.status_code == status, response.get_json()
    error_code(response)
    assert _kinds(db_session, ticket) == []


def test_a_lone_surrogate_in_a_note_is_refused(api, client, ticket):
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/notes",
        data='{"text": "\\ud800"}',
        content_type="application/json",
        headers=api("worker-a").headers,
    )
    assert response.status_code == 400


def test_a_referred_ticket_is_visible_to_its_old_station_but_not_changeable(api, world, db_session):
    row = factories.ticket(db_session, world.b, referred_from_station_id=world.a.id)
    db_session.commit()
    worker = api("worker-a")
    body = worker.get(f"/tickets/{row.id}").get_json()
    assert body["can_change"] is False and body["referred_from"] == "haizhu-nanzhou"
    response = worker.patch(f"/tickets/{row.id}", {"status": "in_progress"})
    assert response.status_code == 403 and error_code(response) == "forbidden"
    assert worker.post(f"/tickets/{row.id}/notes", {"text": "hi"}).status_code == 403
    assert fresh(db_session).get(Ticket, row.id).status is TicketStatus.OPEN


def test_an_empty_patch_changes_nothing(api, ticket):
    body = api("worker-a").patch(f"/tickets/{ticket.id}", {}).get_json()
    assert body["version"] == 1


def test_a_tag_change_alone_moves_the_version(api, ticket):
    body = api("worker-a").patch(f"/tickets/{ticket.id}", {"tags": ["medicine"]}).get_json()
    assert body["version"] == 2


def test_a_save_racing_another_is_a_409(api, ticket, db_session, monkeypatch):
    """Another worker saves between this request's read and its write."""
    from sqlalchemy import update

    from ivr.api import tickets as views

    original = views.apply_change

    def racing(session, row, actor, change, now):  # type: ignore[no-untyped-def]
        session.execute(
            update(Ticket).where(Ticket.id == row.id).values(version_id=Ticket.version_id + 1),
            execution_options={"synchronize_session": False},
        )
        original(session, row, actor, change, now)

    monkeypatch.setattr(views, "apply_change", racing)
    response = api("worker-a").patch(f"/tickets/{ticket.id}", {"status": "in_progress"})
    assert response.status_code == 409 and error_code(response) == "conflict"
    assert fresh(db_session).get(Ticket, ticket.id).status is TicketStatus.OPEN
