"""ASGI middleware: request timing, body-size cap, and the rate-limit headers/tier 2.

Tier 2 (spec §8.1) must run before the token is checked and must count only failed
responses, so it lives here rather than in a route dependency.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clopos._json import dumps
from clopos.server.errors import ApiError, PayloadTooLarge, render
from clopos.server.ratelimit import RateLimiter, WindowState, most_constrained


def api_version_of(path: str) -> str | None:
    """``"v2"`` for ``/open-api/v2/…``, ``"v1"`` for other ``/open-api/…``, else ``None``."""
    if path == "/open-api/v2" or path.startswith("/open-api/v2/"):
        return "v2"
    if path == "/open-api" or path.startswith("/open-api/"):
        return "v1"
    return None


def is_auth_path(path: str) -> bool:
    """The token-issuing routes, which tiers 2 and 3 do not cover."""
    return path.rstrip("/") in {"/open-api/auth", "/open-api/v2/auth"}


def client_ip(scope: Scope) -> str:
    """The peer address (no proxy headers are trusted)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def send_error(send: Send, error: ApiError, api_version: str | None) -> None:
    """Write an error response directly at the ASGI level."""
    body = dumps(render(error, api_version=api_version or "v2"))
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ApiMiddleware:
    """Times requests, caps body size, applies tier 2 and writes rate-limit headers."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, max_body_bytes: int) -> None:
        self.app = app
        self.limiter = limiter
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state["started"] = time.perf_counter()
        state.setdefault("ratelimit", [])
        path: str = scope["path"]
        version = api_version_of(path)

        guarded = version == "v2" and not is_auth_path(path)
        ip = client_ip(scope)
        # Tier 2's window as last seen; reported with the other tiers so the headers show
        # whichever is closest to its limit (spec §8.1 "currently most constrained tier").
        failures: WindowState | None = None
        if guarded:
            try:
                failures = await self.limiter.check_failures(ip)
            except ApiError as error:
                await send_error(send, error, version)
                return

        received = 0
        max_bytes = self.max_body_bytes

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLarge
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal failures
            if message["type"] == "http.response.start" and version is not None:
                if guarded and int(message["status"]) >= 400:
                    failures = await self.limiter.record_failure(ip)
                states: list[WindowState] = list(state.get("ratelimit", []))
                if failures is not None:
                    states.append(failures)
                message = {**message, "headers": _with_limit_headers(message, states)}
            await send(message)

        declared = _content_length(scope)
        # /pos answers in Apideck's error shape, which only its routes can render: there the
        # cap is enforced while reading (BodyTooLarge below), never before the route runs.
        if declared is not None and declared > max_bytes and not path.startswith("/pos/"):
            # Refused before the body is read; still a failed response for tier 2.
            await send_error(send_with_headers, _too_large(max_bytes), version)
            return
        try:
            await self.app(scope, capped_receive, send_with_headers)
        except BodyTooLarge:
            await send_error(send_with_headers, _too_large(self.max_body_bytes), version)


def _with_limit_headers(message: Message, states: list[WindowState]) -> list[Any]:
    """The response headers plus ``RateLimit-*`` (v2 tiers) / ``X-RateLimit-*`` (v1 tiers).

    Headers the response already carries (a 429 sets its own) are left alone.
    """
    headers = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    extra: dict[str, str] = {}
    chosen_v2 = most_constrained([s for s in states if not s.tier.startswith("v1")])
    if chosen_v2 is not None:
        extra.update(chosen_v2.v2_headers())
    chosen_v1 = most_constrained([s for s in states if s.tier.startswith("v1")])
    if chosen_v1 is not None:
        extra.update(chosen_v1.v1_headers())
    for name, value in extra.items():
        if name.lower().encode() not in present:
            headers.append((name.lower().encode(), value.encode()))
    return headers


class BodyTooLarge(Exception):
    """Raised from ``receive`` when a body without ``Content-Length`` outgrows the cap."""


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request body is larger than {limit} bytes",
        details={"parameter": "body", "max_bytes": limit},
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
