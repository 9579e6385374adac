"""A stand-in for Twilio's media host on loopback: real HTTP, scripted answers.

Each path gets a queue of answers (status, body, delay); once the queue is down to its
last answer, that one repeats. Every request is recorded with its Authorization header.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    authorization: tuple[str, str] | None


class MediaServer:
    def __init__(self) -> None:
        self.answers: dict[str, list[Answer]] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                server._answer(self)

            def do_DELETE(self) -> None:  # noqa: N802
                server._answer(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def script(self, path: str, *answers: Answer) -> str:
        with self.lock:
            self.answers[path] = list(answers)
        return self.base_url + path

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        auth = handler.headers.get("Authorization", "")
        credentials = None
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            credentials = (user, password)
        with self.lock:
            self.requests.append(Seen(handler.command, handler.path, credentials))
            queue = self.answers.get(handler.path) or [Answer(404, b"not found")]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if answer.delay:
            time.sleep(answer.delay)
        try:
            handler.send_response(answer.status)
            for name, value in {"Content-Type": "audio/x-wav", **answer.headers}.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer.body)))
            handler.end_headers()
            handler.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
