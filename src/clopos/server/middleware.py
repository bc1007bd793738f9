"""ASGI middleware: request timing, body-size cap, and the rate-limit headers/tier 2.

Tier 2 (spec §8.1) must run before the token is checked and must count only failed
responses, so it lives here rather than in a route dependency.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clopos.server.errors import ApiError, PayloadTooLarge
from clopos.server.ratelimit import RateLimiter, WindowState, most_constrained
from clopos.server.responses import dumps


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
    from clopos.server.errors import render

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

        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            await send_error(send, _too_large(self.max_body_bytes), version)
            return

        guarded = version == "v2" and not is_auth_path(path)
        ip = client_ip(scope)
        if guarded:
            try:
                await self.limiter.check_failures(ip)
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
            if message["type"] == "http.response.start" and version is not None:
                status = int(message["status"])
                states: list[WindowState] = list(state.get("ratelimit", []))
                if guarded and status >= 400:
                    failed = await self.limiter.record_failure(ip)
                    if failed is not None:
                        states.append(failed)
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                v1_states = [s for s in states if s.tier.startswith("v1")]
                v2_states = [s for s in states if not s.tier.startswith("v1")]
                extra: dict[str, str] = {}
                chosen_v2 = most_constrained(v2_states)
                if chosen_v2 is not None and (guarded or is_auth_path(path) or version == "v2"):
                    extra.update(chosen_v2.v2_headers())
                chosen_v1 = most_constrained(v1_states)
                if chosen_v1 is not None:
                    extra.update(chosen_v1.v1_headers())
                for name, value in extra.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, capped_receive, send_with_headers)
        except BodyTooLarge:
            await send_error(send_with_headers, _too_large(self.max_body_bytes), version)


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
