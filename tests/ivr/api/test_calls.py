"""``GET /calls`` and ``GET /calls/{id}``: the call log, newest first, masked numbers."""

from __future__ import annotations

from datetime import timedelta

from ivr.phone import mask
from models import CallDirection, CallEvent, CallOutcome, utcnow
from tests import factories
from tests.ivr.api.conftest import error_code


def test_calls_page_newest_first_without_gaps(api, world, db_session):
    now = utcnow()
    same = now - timedelta(minutes=5)
    starts = [now - timedelta(hours=2), same, now, same, now - timedelta(days=1), same, now]
    rows = [factories.call(db_session, world.a, started_at=s) for s in starts]
    db_session.commit()
    expected = [c.id for c in sorted(rows, key=lambda c: (c.started_at, c.id), reverse=True)]

    seen, cursor = [], None
    while True:
        body = (
            api("worker-a")
            .get("/calls", limit=3, **({"cursor": cursor} if cursor else {}))
            .get_json()
        )
        seen += [item["id"] for item in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            break
    assert seen == expected


def test_call_filters(api, world, db_session):
    now = utcnow()
    old = factories.call(db_session, world.a, started_at=now - timedelta(days=10))
    new = factories.call(db_session, world.a, started_at=now)
    other = factories.call(db_session, world.a2, started_at=now)
    db_session.commit()
    admin = api("haizhu-admin")

    def ids(**params):  # type: ignore[no-untyped-def]
        return {item["id"] for item in admin.get("/calls", **params).get_json()["items"]}

    assert ids() == {old.id, new.id, other.id}
    assert ids(station="haizhu-fengyang") == {other.id}
    assert ids(since=(now - timedelta(days=1)).date().isoformat()) == {new.id, other.id}
    assert ids(until=(now - timedelta(days=9)).date().isoformat()) == {old.id}
    bad = admin.get("/calls", since="last week")
    assert bad.status_code == 400 and error_code(bad) == "invalid_parameter"
    assert admin.get("/calls", cursor="Zm9v").status_code == 400


def test_a_call_with_its_steps_and_masked_caller(api, world, db_session):
    caller = factories.caller(db_session, "+8613812345678")
    call = factories.call(
        db_session,
        world.a,
        caller_id=caller.id,
        from_number=caller.phone_number,
        outcome=CallOutcome.VOICEMAIL,
        chosen_need="food",
    )
    call.events = [
        CallEvent(kind="incoming", detail={"from": caller.phone_number, "to": call.to_number}),
        CallEvent(kind="keys", node="main", digits="1"),
    ]
    ticket = factories.ticket(db_session, world.a, caller)
    voicemail = factories.voicemail(db_session, ticket, call_id=call.id)
    db_session.commit()

    body = api("worker-a").get(f"/calls/{call.id}").get_json()
    assert body["station"] == "haizhu-nanzhou" and body["outcome"] == "voicemail"
    assert body["from_number"] == "+86138****5678" and body["from_number_masked"] is True
    assert body["to_number"] == call.to_number
    assert [e["kind"] for e in body["events"]] == ["incoming", "keys"]
    assert body["events"][0]["detail"]["from"] == "+86138****5678"
    assert body["events"][1]["digits"] == "1"
    assert body["voicemail_ids"] == [voicemail.id]
    listed = api("worker-a").get("/calls").get_json()["items"][0]
    assert listed["from_number"] == "+86138****5678"

    ticket.assignee_id = world.users["worker-a"].id
    db_session.commit()
    body = api("worker-a").get(f"/calls/{call.id}").get_json()
    assert body["from_number"] == "+8613812345678"
    assert body["events"][0]["detail"]["from"] == "+8613812345678"
    assert api("colleague-a").get(f"/calls/{call.id}").get_json()["from_number_masked"] is True


def test_a_missing_call_is_404(api, world):
    for path in ("/calls/999999", "/calls/0", "/calls/99999999999999999999", "/calls/abc"):
        response = api("city").get(path)
        assert response.status_code == 404 and error_code(response) == "not_found"


def test_a_callback_shows_the_workers_own_phone_only_to_that_worker(api, world, db_session):
    worker_phone = "+8613700001111"
    world.users["worker-a"].phone = worker_phone
    call = factories.call(
        db_session,
        world.a,
        direction=CallDirection.CALLBACK,
        from_number="+862083000034",
        to_number=worker_phone,
    )
    db_session.commit()
    masked = mask(worker_phone)
    for username in ("colleague-a", "haizhu-admin", "city"):
        for body in (
            api(username).get(f"/calls/{call.id}").get_json(),
            api(username).get("/calls").get_json()["items"][0],
        ):
            assert body["to_number"] == masked and body["to_number_masked"] is True
            assert worker_phone not in repr(body)
    own = api("worker-a").get(f"/calls/{call.id}").get_json()
    assert own["to_number"] == worker_phone and own["to_number_masked"] is False


def test_an_inbound_calls_dialled_hotline_is_not_masked(api, world, db_session):
    call = factories.call(db_session, world.a, to_number="+862083000034")
    db_session.commit()
    body = api("colleague-a").get(f"/calls/{call.id}").get_json()
    assert body["to_number"] == "+862083000034" and body["to_number_masked"] is False
