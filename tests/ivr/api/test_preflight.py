"""OPTIONS and oversized headers under /api answer like the rest of the API: not HTML."""

from __future__ import annotations

from tests.ivr.api.conftest import error_code


def test_options_answers_204_with_the_methods_and_no_token_needed(client):
    response = client.open("/api/v1/tickets/1", method="OPTIONS")
    assert response.status_code == 204
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "PATCH", "OPTIONS"}
    assert response.data == b"" and "text/html" not in response.headers.get("Content-Type", "")


def test_options_on_an_unknown_api_url_answers_json(client):
    for path in ("/api/v1/nothing-here", "/api/", "/api/v2/tickets"):
        response = client.open(path, method="OPTIONS")
        assert response.status_code == 404, path
        assert error_code(response) == "not_found"


def test_an_oversized_header_answers_json_431(client):
    response = client.get("/api/v1/tickets", headers={"X-Padding": "a" * 9000})
    assert response.status_code == 431
    assert error_code(response) == "request_header_fields_too_large"


def test_ordinary_headers_pass(client):
    response = client.get("/api/v1/tickets", headers={"X-Padding": "a" * 4000})
    assert response.status_code == 401  # on to the token check
