"""A stand-in for Twilio's REST API on loopback: real HTTP, scripted answers.

Point the app at it with ``IVR_TWILIO_API_URL=<fake.base_url>``; twilio's own client then
builds, signs and sends every request here instead of ``https://api.twilio.com``. Each
request is recorded (method, path, form, headers) under its resource: ``Calls``,
``Messages``, ``Recordings``, or the last path segment without ``.json``. A resource
answers as Twilio does on success (a JSON body with a new sid; 204 for a DELETE) unless
answers are scripted for it: each scripted answer is used once, in order, then success
again. Twilio's errors are JSON with ``code``, ``message``, ``more_info`` and ``status``.

    fake.fail("Messages", 400, 21610, "Attempt to send to unsubscribed recipient")
    fake.fail("Calls", 429, 20429, "Too Many Requests")
    fake.stall("Messages", seconds=20)          # the client's timeout fires
    fake.sent("Messages")                       # the forms of what was accepted
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

SID_PREFIX = {"Calls": "CA", "Messages": "SM", "Recordings": "RE"}
RESOURCE = re.compile(r"/([A-Za-z]+)(?:/[A-Za-z0-9]+)?\.json$")


@dataclass
class Answer:
    status: int = 0  # 0: Twilio's success answer for the request
    code: int | None = None
    message: str = ""
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    resource: str
    form: dict[str, str]
    headers: dict[str, str]
    status: int = 0
    sid: str | None = None


@dataclass
class FakeTwilioApi:
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                fake._answer(self)

            def do_GET(self) -> None:  # noqa: N802
                fake._answer(self)

            def do_DELETE(self) -> None:  # noqa: N802
                fake._answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def fail(self, resource: str, status: int, code: int, message: str = "error") -> None:
        """The next request for ``resource`` gets Twilio's error ``code``."""
        with self.lock:
            self.answers.setdefault(resource, []).append(Answer(status, code, message))

    def stall(self, resource: str, seconds: float) -> None:
        """The next request for ``resource`` is answered (successfully) only after ``seconds``."""
        with self.lock:
            self.answers.setdefault(resource, []).append(Answer(delay=seconds))

    def seen(self, resource: str) -> list[Seen]:
        with self.lock:
            return [r for r in self.requests if r.resource == resource]

    def sent(self, resource: str) -> list[dict[str, str]]:
        """The forms of the requests for ``resource`` that Twilio would have accepted."""
        return [r.form for r in self.seen(resource) if 200 <= r.status < 300]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        path = handler.path.split("?", 1)[0]
        match = RESOURCE.search(path)
        resource = match.group(1) if match else path
        form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        seen = Seen(handler.command, path, resource, form, dict(handler.headers.items()))
        with self.lock:
            self.requests.append(seen)
            queue = self.answers.get(resource) or []
            answer = queue.pop(0) if queue else Answer()
        if answer.delay:
            time.sleep(answer.delay)
        if answer.status:
            seen.status = answer.status
            payload: dict[str, object] | None = {
                "code": answer.code,
                "message": answer.message,
                "more_info": f"https://www.twilio.com/docs/errors/{answer.code}",
                "status": answer.status,
            }
        elif handler.command == "DELETE":
            seen.status, payload = 204, None
        else:
            seen.status = 201 if handler.command == "POST" else 200
            seen.sid = SID_PREFIX.get(resource, "XX") + secrets.token_hex(16)
            payload = {
                "sid": seen.sid,
                "account_sid": path.split("/")[3] if path.count("/") > 3 else "",
                "status": "queued",
                "to": form.get("To"),
                "from": form.get("From"),
                "body": form.get("Body"),
                "direction": "outbound-api",
            }
        data = b"" if payload is None else json.dumps(payload).encode()
        try:
            handler.send_response(seen.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
