"""Every API failure is JSON: ``{"error": {"code": ..., "message": ...}}`` with a 4xx/5xx."""

from __future__ import annotations

import logging

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import (
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestedRangeNotSatisfiable,
)

from ivr.api import bp

log = logging.getLogger(__name__)

API_ROOT = "/api"

# Machine-readable codes for errors Werkzeug raises (routing, body size, ranges).
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid_change",
    429: "too_many_requests",
    431: "request_header_fields_too_large",
    500: "internal_error",
}
NOT_FOUND_MESSAGE = "找不到，或不在你的权限范围内"
# Werkzeug's own words for these are English; the API speaks Chinese first.
HTTP_MESSAGES = {
    404: NOT_FOUND_MESSAGE,
    413: "请求体太大",
    429: "请求过于频繁，请稍后再试",
    431: "请求头太大",
}


class ApiError(Exception):
    """A request the API refuses; becomes a JSON error response with ``status``."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}


def not_found() -> ApiError:
    """The same answer for a missing id and one outside the caller's scope."""
    return ApiError(404, "not_found", NOT_FOUND_MESSAGE)


def invalid_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", f"{name}: {message}")


def invalid_field(name: str, message: str) -> ApiError:
    return ApiError(400, "invalid_field", f"{name}: {message}")


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def _http_response(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = HTTP_MESSAGES.get(status) or exc.description or exc.name
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(sorted(exc.valid_methods))
    if isinstance(exc, RequestedRangeNotSatisfiable) and exc.length is not None:
        headers["Content-Range"] = f"{exc.units} */{exc.length}"
    return error_response(status, HTTP_CODES.get(status, "http_error"), message, headers)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.headers)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return _http_response(exc)


@bp.errorhandler(InternalServerError)
def _server_error(exc: InternalServerError) -> Response:
    original = exc.original_exception
    log.error("API request %s %s failed", request.method, request.path, exc_info=original)
    return error_response(500, "internal_error", "服务器内部错误，已记录")


def under_api(path: str) -> bool:
    """Any path under /api, not only the current version's: all of it answers JSON."""
    return path == API_ROOT or path.startswith(API_ROOT + "/")


def answer_routing_errors() -> Response | None:
    """Unknown URLs, wrong methods and OPTIONS under /api answer JSON, not HTML.

    Routing fails before any blueprint is chosen, so blueprint handlers never see these;
    an app-wide hook answers them instead, leaving other URLs to their own handlers.
    OPTIONS is answered here, before the bearer-token check: it reveals only the
    methods a URL takes (204 with ``Allow``), as Flask's own answer would.
    """
    if not under_api(request.path):
        return None
    exc = request.routing_exception
    if isinstance(exc, NotFound | MethodNotAllowed):
        return _http_response(exc)
    if request.method == "OPTIONS":
        adapter = current_app.url_map.bind_to_environ(request.environ)
        response = Response(status=204)
        del response.headers["Content-Type"]  # no body, so no type (and never HTML)
        response.headers["Allow"] = ", ".join(sorted(adapter.allowed_methods(request.path)))
        return response
    return None
