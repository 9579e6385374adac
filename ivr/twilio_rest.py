"""How the application reaches Twilio's REST API: one HTTP client for every REST call.

Twilio's own library builds and signs every request (calls, messages, recordings); this
module only chooses where they go and how long one may take. ``IVR_TWILIO_API_URL`` sends
them to another base URL instead of ``https://api.twilio.com`` (a test's local stand-in
for Twilio, or a Twilio-compatible gateway); the path and query are kept as they are.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

# A REST call runs in a job or an admin's request, never inside a transaction or a
# webhook; past this many seconds it is given up and retried later.
REST_TIMEOUT_SECONDS = 15.0


class RestHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with a timeout, optionally pointed at another base URL."""

    def __init__(self, base_url: str = "", timeout: float = REST_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> Response:
        if self.base_url:
            parts = urlsplit(url)
            if (parts.hostname or "").endswith("twilio.com"):
                url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, *args, **kwargs)
