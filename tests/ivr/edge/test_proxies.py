"""Behind IVR_PROXY_HOPS reverse proxies the client's address is the forwarded one."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.cli.serve import web_command
from ivr.config import ConfigError
from ivr.edge.header_limits import MAX_FIELD_BYTES, SERVER_FIELD_BYTES
from models import AuditLog
from tests.conftest import fresh
from tests.ivr.console.conftest import PASSWORD, Browser

PROXY = "10.0.0.2"
CLIENT = "198.51.100.7"
# What the client claimed, then what the proxy appended: the client's real address.
FORWARDED_FOR = f"203.0.113.66, {CLIENT}"


def _audited_ip(app, world, db_session) -> str:  # type: ignore[no-untyped-def]
    browser = Browser(app.test_client())
    browser.client.environ_base.update(
        {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": FORWARDED_FOR}
    )
    assert browser.login("worker-a", PASSWORD).status_code == 302
    voicemail = world["tickets"]["a"].voicemails[0]
    assert browser.get(f"/console/voicemails/{voicemail.id}/audio").status_code == 200
    row = fresh(db_session).scalar(select(AuditLog).where(AuditLog.action == "voicemail.play"))
    return row.ip


def test_by_default_forwarded_headers_are_not_believed(world, app, db_session):
    assert app.config["IVR"].proxy_hops == 0
    assert _audited_ip(app, world, db_session) == PROXY


def test_with_one_proxy_hop_the_audit_log_records_the_client(world, make_app, db_session):
    app = make_app(IVR_PROXY_HOPS="1")
    assert app.config["IVR"].proxy_hops == 1
    assert _audited_ip(app, world, db_session) == CLIENT  # not what the client claimed


def test_proxy_hops_must_be_a_whole_number(make_app):
    with pytest.raises(ConfigError, match="IVR_PROXY_HOPS"):
        make_app(IVR_PROXY_HOPS="-1")


def test_gunicorn_lets_the_app_answer_oversized_headers():
    command = web_command("127.0.0.1", 5000, 2)
    size = int(command[command.index("--limit-request-field_size") + 1])
    assert size == SERVER_FIELD_BYTES > MAX_FIELD_BYTES
