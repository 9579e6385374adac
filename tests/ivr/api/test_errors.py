"""Errors under /api/v1 are JSON, whatever goes wrong, and API writes skip CSRF."""

from __future__ import annotations

from flask import Flask
from flask_wtf import CSRFProtect

from ivr import api as api_package
from tests import factories
from tests.ivr.api.conftest import error_code


def test_unknown_routes_are_json_404(api, world):
    for path in ("/nothing-here", "/tickets/1/nothing", "/tickets/"):
        response = api("city").get(path)
        assert response.status_code == 404 and error_code(response) == "not_found"
    assert error_code(api("city").client.get("/api/v1")) == "not_found"


def test_a_wrong_method_is_json_405_with_allow(api, world):
    response = api("city").client.delete("/api/v1/tickets", headers=api("city").headers)
    assert response.status_code == 405 and error_code(response) == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_other_urls_keep_their_own_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert not response.is_json


def test_api_writes_need_no_csrf_token_even_with_csrf_on(app, api, world, db_session):
    assert app.config.get("WTF_CSRF_ENABLED", True)
    ticket = factories.ticket(db_session, world.a)
    db_session.commit()
    response = api("worker-a").post(f"/tickets/{ticket.id}/notes", {"text": "no cookie here"})
    assert response.status_code == 201, response.get_json()


def test_the_exemption_holds_whichever_comes_first(tmp_path):
    """CSRFProtect set up before the API, as well as after it (create_app's order)."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test"
    csrf = CSRFProtect(app)
    api_package._exempt_from_csrf(app)
    assert api_package.bp in csrf._exempt_blueprints
