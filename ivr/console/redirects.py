"""Where to send someone after signing in or switching language: only this site.

A ``next`` taken from the query string or a form is followed only when it is a plain
path on this site. Browsers drop tabs and newlines inside a URL and read ``\\`` as
``/``, so ``/\\t/example.org`` or ``/\\example.org`` would reach another host;
such targets, and anything with a scheme or a host, go to the default page instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def is_local_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, otherwise ``default``."""
    return target if target and is_local_path(target) else default
