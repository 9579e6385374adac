"""Each token sees its user's scope; everything else answers 404, like a missing id."""

from __future__ import annotations

import pytest

from models import VoicemailState
from tests import factories


@pytest.fixture
def rows(app, world, db_session):
    """A ticket, voicemail (with audio) and call at each of a, a2 and b, and one unassigned."""
    storage = app.config["IVR"].storage_dir
    storage.mkdir(parents=True, exist_ok=True)
    made = {}
    for key, station in (("a", world.a), ("a2", world.a2), ("b", world.b), ("none", None)):
        ticket = factories.ticket(db_session, station)
        call = factories.call(db_session, station)
        (storage / f"{key}.wav").write_bytes(b"RIFF....WAVE")
        voicemail = factories.voicemail(
            db_session,
            ticket,
            call_id=call.id,
            storage_path=f"{key}.wav",
            state=VoicemailState.FETCHED,
        )
        made[key] = {"ticket": ticket.id, "call": call.id, "voicemail": voicemail.id}
    db_session.commit()
    return made


def _paths(ids: dict[str, int]) -> list[str]:
    return [
        f"/tickets/{ids['ticket']}",
        f"/calls/{ids['call']}",
        f"/voicemails/{ids['voicemail']}",
        f"/voicemails/{ids['voicemail']}/transcript",
        f"/voicemails/{ids['voicemail']}/audio",
    ]


VISIBLE = {
    "worker-a": {"a"},
    "haizhu-admin": {"a", "a2"},
    "city": {"a", "a2", "b", "none"},
}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_lists_hold_only_what_is_in_scope(api, rows, username):
    visible = VISIBLE[username]
    for listing, key in (("/tickets", "ticket"), ("/calls", "call")):
        ids = {item["id"] for item in api(username).get(listing).get_json()["items"]}
        assert ids == {rows[k][key] for k in visible}, listing


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_out_of_scope_ids_answer_exactly_like_missing_ones(api, rows, username):
    client = api(username)
    missing = client.get("/tickets/999999")
    for key, ids in rows.items():
        for path in _paths(ids):
            response = client.get(path)
            if key in VISIBLE[username]:
                # in scope: found (no transcript yet is its own, distinct 404)
                assert response.status_code == 200 or "transcript" in path, path
            else:
                assert response.status_code == 404, path
                assert response.get_json() == missing.get_json(), path


def test_out_of_scope_tickets_cannot_be_changed_or_noted(api, rows):
    worker = api("worker-a")
    ticket_b = rows["b"]["ticket"]
    assert worker.patch(f"/tickets/{ticket_b}", {"status": "in_progress"}).status_code == 404
    assert worker.post(f"/tickets/{ticket_b}/notes", {"text": "hello"}).status_code == 404


def test_a_station_filter_cannot_widen_the_scope(api, rows):
    response = api("worker-a").get("/tickets", station="baiyun-tongde")
    assert response.status_code == 200 and response.get_json()["items"] == []
    assert api("worker-a").get("/calls", station="baiyun-tongde").get_json()["items"] == []


def test_a_voicemail_follows_its_ticket_across_a_referral(api, world, rows, db_session):
    from models import Ticket

    ticket = db_session.get(Ticket, rows["b"]["ticket"])
    ticket.referred_from_station_id, ticket.station_id = world.b.id, world.a.id
    db_session.commit()
    assert api("worker-a").get(f"/voicemails/{rows['b']['voicemail']}").status_code == 200
    assert api("worker-b").get(f"/voicemails/{rows['b']['voicemail']}").status_code == 200
