"""JSON on the wire: orjson, with ``Decimal`` written as the exact number it holds."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from clopos._json import dumps
from clopos.server.domain.envelope import success_envelope
from clopos.server.domain.timestamps import utcnow


class ClopoJSONResponse(JSONResponse):
    """The response class of every route."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)


def elapsed_ms(request: Request) -> int:
    """Milliseconds since the request entered the app (envelope ``time``)."""
    started = getattr(request.state, "started", None)
    if started is None:
        return 0
    return int((time.perf_counter() - started) * 1000)


def respond(
    request: Request,
    data: Any,
    *,
    total: int | None = None,
    sorts: Sequence[str] | None = None,
    message: str | None = None,
    status_code: int = 200,
    extra: dict[str, Any] | None = None,
) -> ClopoJSONResponse:
    """A success response in the Open API envelope (spec §4.1)."""
    body = success_envelope(
        data,
        now=utcnow(),
        elapsed_ms=elapsed_ms(request),
        total=total,
        sorts=sorts,
        message=message,
        extra=extra,
    )
    return ClopoJSONResponse(body, status_code=status_code)
