"""A real HTTP server on 127.0.0.1 that receives webhooks, for the webhook tests.

It runs in a thread of the test process (``ThreadingHTTPServer``), records every request
— headers, raw body, the status it answered — and can play an outage: answer
``fail_status`` to the first ``fail_first`` requests, or to every request while
``failing`` is set. It also watches for the one thing a worker must never do: two requests
for the same event in flight at once (``overlaps``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Receiver:
    """``with Receiver() as receiver: … receiver.url …``"""

    fail_first: int = 0
    fail_status: int = 503
    failing: bool = False
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    overlaps: list[tuple[str, int]] = field(default_factory=list)
    _in_flight: set[tuple[str, int]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, and no Nagle delay between the header and body writes.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    event_id = int(json.loads(body).get("id", 0))
                except ValueError:
                    event_id = 0
                key = (self.path, event_id)
                with receiver._lock:
                    if key in receiver._in_flight:
                        receiver.overlaps.append(key)
                    receiver._in_flight.add(key)
                    if receiver.failing or receiver.fail_first > 0:
                        receiver.fail_first = max(0, receiver.fail_first - 1)
                        status = receiver.fail_status
                    else:
                        status = 200
                try:
                    if receiver.delay:
                        time.sleep(receiver.delay)
                    with receiver._lock:
                        receiver.requests.append(
                            Received(self.path, dict(self.headers.items()), body, status)
                        )
                finally:
                    with receiver._lock:
                        receiver._in_flight.discard(key)
                answer = b"ok" if status == 200 else b"receiver outage"
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def accepted(self, path: str | None = None) -> list[Received]:
        """The requests answered 2xx (to ``path`` only, when given), in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.accepted and (path is None or r.path == path)]

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def wait_for(self, condition: Callable[[Receiver], bool], timeout: float = 30.0) -> None:
        """Block until ``condition(self)`` holds (or fail after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver: condition not met in {timeout} s")
            time.sleep(0.02)
