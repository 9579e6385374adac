"""The REST API at ``/api/v1``: bearer tokens, tickets, calls, voicemails and stations.

Every request but the OpenAPI document carries ``Authorization: Bearer <token>``; each
query is narrowed to the token user's scope, and what lies outside it answers 404.
"""

from __future__ import annotations

from flask import Blueprint, Flask

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)


def init_app(app: Flask) -> None:
    from ivr.api import (  # noqa: F401 - registers the routes and handlers
        calls,
        errors,
        openapi,
        referrals,
        stations,
        stats,
        tickets,
        tokens,
        voicemails,
    )

    app.before_request(errors.answer_routing_errors)
    app.register_blueprint(bp)
    _exempt_from_csrf(app)


def _exempt_from_csrf(app: Flask) -> None:
    """API requests carry a bearer token and no cookies, so CSRF tokens do not apply.

    The console's CSRFProtect may be set up before or after the API; either way the
    blueprint ends up exempt. When it comes later, this hook runs before its check
    (hooks run in the order they were added) and exempts the blueprint on first use.
    """
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
        return

    def exempt_api_from_csrf() -> None:
        late = app.extensions.get("csrf")
        if late is not None:
            late.exempt(bp)

    app.before_request(exempt_api_from_csrf)
