"""Flask-Limiter for the app: counters on Redis when the queue runs there, otherwise in
the database (``rate_counters``), so every gunicorn worker and web host counts alike.

Each app gets its own ``Limiter`` (tests build many apps), so views are limited per
app by endpoint with :func:`limit_endpoint` once their blueprint is registered, not
with a module-level decorator. Limits key on
the client's address, which is the socket's peer unless ``IVR_PROXY_HOPS`` says how
many reverse proxies' X-Forwarded-For to trust.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from ivr.db import database
from ivr.edge.rate_counters import SCHEME

EXTENSION = "ivr.limiter"


def init_app(app: Flask) -> Limiter:
    config = app.config["IVR"]
    if config.redis_url:
        uri, options = config.redis_url, {}
    else:
        uri, options = f"{SCHEME}://", {"engine": database(app).engine}
    limiter = Limiter(
        get_remote_address,
        storage_uri=uri,
        storage_options=options,  # type: ignore[arg-type]
        strategy="fixed-window",
        key_prefix=f"{config.queue_name}-limits",
        headers_enabled=False,
        # A store that is down must not stop people signing in; the per-account lock in
        # the users table still holds.
        swallow_errors=True,
    )
    limiter.init_app(app)
    # Route limits are checked by the wrapper limit_endpoint installs. The app-wide hook
    # only applies default and application limits, which this app has none of, and costs
    # ~0.1 ms on every request, webhooks included: take it out.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    app.extensions[EXTENSION] = limiter
    return limiter


def limit_endpoint(
    app: Flask,
    endpoint: str,
    limit: str,
    *,
    methods: list[str],
    deduct_when: Callable[[Response], bool] | None = None,
) -> None:
    """Apply ``limit`` (e.g. ``"10 per 15 minutes"``) per client address to a view."""
    limiter: Limiter = app.extensions[EXTENSION]
    # Flask-Limiter checks a route's own limits in the wrapper it returns, so the wrapper
    # replaces the registered view.
    view = app.view_functions[endpoint]
    app.view_functions[endpoint] = limiter.limit(limit, methods=methods, deduct_when=deduct_when)(
        view
    )
