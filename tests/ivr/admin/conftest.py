"""Admin pages: the console's two-district world plus a station admin at each of A and B."""

from __future__ import annotations

import pytest

from ivr.stations.users import create_user
from models import Role
from tests.ivr.console.conftest import (  # noqa: F401 - fixtures shared with the console
    PASSWORD,
    Browser,
    browser,
    login,
    second_browser,
    world,
)


@pytest.fixture
def admin_world(world, db_session):  # noqa: F811 - the imported fixture
    """``world`` plus admin-a (station admin of 南洲街, A) and admin-b (of 同德街, B)."""
    for name, code in [("admin-a", "haizhu-nanzhou"), ("admin-b", "baiyun-tongde")]:
        world["users"][name] = create_user(db_session, name, PASSWORD, Role.STATION_ADMIN, code)
    db_session.commit()
    return world
