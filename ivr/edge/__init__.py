"""The web edge: what every request passes before a view sees it.

Request bodies are capped before anything parses them (``body_limits``), oversized
request headers are refused (``header_limits``), and, behind a configured number of
reverse proxies, the client's address and scheme are taken from their X-Forwarded-*
headers (werkzeug's ProxyFix), so audit logs and sign-in throttling see the client,
not the proxy.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from ivr.edge import body_limits, header_limits, throttle

__all__ = ["init_app", "throttle"]


def init_app(app: Flask) -> None:
    body_limits.init_app(app)
    header_limits.init_app(app)
    hops = app.config["IVR"].proxy_hops
    if hops:
        # Only the scheme and client address: signatures are checked against
        # IVR_PUBLIC_URL, and a forwarded Host is not needed to build any URL.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
