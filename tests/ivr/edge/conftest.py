"""The edge's tests use the console's world and the admin's station admins."""

from tests.ivr.admin.conftest import (  # noqa: F401 - fixtures shared with the admin
    admin_world,
    browser,
    login,
    second_browser,
    world,
)
