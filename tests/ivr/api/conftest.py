"""The API's world: three stations in two districts, a user of each role, their tokens."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ivr.api.tokens import issue_token
from models import District, Role, Station, User, utcnow
from tests import factories


@dataclass
class World:
    haizhu: District
    baiyun: District
    a: Station  # 海珠区 南洲街
    a2: Station  # 海珠区 凤阳街
    b: Station  # 白云区 同德街
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def world(db_session) -> World:
    haizhu = factories.district(db_session, code="haizhu", name_zh="海珠区")
    baiyun = factories.district(db_session, code="baiyun", name_zh="白云区")
    world = World(
        haizhu,
        baiyun,
        factories.station(db_session, haizhu, code="haizhu-nanzhou", name_zh="南洲街"),
        factories.station(db_session, haizhu, code="haizhu-fengyang", name_zh="凤阳街"),
        factories.station(db_session, baiyun, code="baiyun-tongde", name_zh="同德街"),
    )
    for username, role, station, district in [
        ("worker-a", Role.WORKER, world.a, None),
        ("colleague-a", Role.WORKER, world.a, None),
        ("worker-b", Role.WORKER, world.b, None),
        ("haizhu-admin", Role.DISTRICT_ADMIN, None, haizhu),
        ("city", Role.CITY_ADMIN, None, None),
    ]:
        user = factories.user(db_session, username, role, station, district)
        world.users[username] = user
        world.tokens[username] = issue_token(db_session, username, utcnow()).secret
    db_session.commit()
    return world


class Api:
    """The test client, sending one user's bearer token."""

    def __init__(self, client, secret: str) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, headers: dict[str, str] | None = None, **query: object):  # type: ignore[no-untyped-def]
        return self.client.get(
            "/api/v1" + path, query_string=query, headers={**self.headers, **(headers or {})}
        )

    def patch(self, path: str, body: object):  # type: ignore[no-untyped-def]
        return self.client.patch("/api/v1" + path, json=body, headers=self.headers)

    def post(self, path: str, body: object):  # type: ignore[no-untyped-def]
        return self.client.post("/api/v1" + path, json=body, headers=self.headers)


@pytest.fixture
def api(client, world):  # type: ignore[no-untyped-def]
    """``api("worker-a").get("/tickets")``: requests as one of the world's users."""

    def as_user(username: str) -> Api:
        return Api(client, world.tokens[username])

    return as_user


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"]
    return body["error"]["code"]
