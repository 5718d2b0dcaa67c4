"""A real HTTP server on 127.0.0.1 for the SaaS APIs that cannot run here (SonarQube,
GitHub, GitLab, PagerDuty, a ticket system).

Nothing is patched: the gate under test makes real HTTP requests with ``requests`` to this
server, which answers with the documented status codes, headers and JSON bodies.  A test
gives it a ``route`` function; every request is recorded (method, path, query, headers,
body) so that the test can check what the gate sent, e.g. the auth header.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    query_all: dict[str, list[str]] = field(default_factory=dict)  # repeated keys (a[]=1&a[]=2)

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (slow server)
    drop: bool = False  # close the connection without an answer (a reset)


Route = Callable[[Request], Response]


class FakeServer:
    """``url`` is the base URL; set ``route`` before the gate runs."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.route: Route = lambda req: Response(404, {"errors": [{"msg": "no route"}]})
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                req = Request(
                    self.command,
                    parts.path,
                    {k: v[-1] for k, v in parse_qs(parts.query).items()},
                    dict(self.headers.items()),
                    self.rfile.read(length) if length else b"",
                    parse_qs(parts.query),
                )
                server.requests.append(req)
                resp = server.route(req)
                if resp.delay:
                    threading.Event().wait(resp.delay)
                if resp.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = resp.body
                ctype = "application/json"
                if isinstance(body, str):
                    body, ctype = body.encode(), "text/plain; charset=utf-8"
                elif not isinstance(body, bytes):
                    body = json.dumps(body).encode() if body is not None else b""
                self.send_response(resp.status)
                headers = {"Content-Type": ctype, **resp.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A fresh local HTTP server per test (import this fixture into a test module)."""
    server = FakeServer().start()
    yield server
    server.stop()
