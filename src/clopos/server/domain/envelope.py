"""The success envelope (spec §4.1), built as a plain dict."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from clopos.server.domain import timestamps


def success_envelope(
    data: Any,
    *,
    now: datetime,
    elapsed_ms: int,
    total: int | None = None,
    sorts: Sequence[str] | None = None,
    message: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every success body: ``success, data, time, timestamp (UTC), unix`` plus list/message keys.

    ``total`` and ``sorts`` are added for lists; ``message`` where the docs show one.
    """
    body: dict[str, Any] = {"success": True, "data": data}
    if total is not None:
        body["total"] = total
    if message is not None:
        body["message"] = message
    body["time"] = elapsed_ms
    body["timestamp"] = timestamps.plain(now)
    body["unix"] = timestamps.unix_seconds(now)
    if sorts is not None:
        body["sorts"] = list(sorts)
    if extra:
        body.update(extra)
    return body


def pagination_block(*, page: int, per_page: int, total: int) -> dict[str, int]:
    """The ``pagination`` variant some list examples show (price lists, prices)."""
    total_pages = (total + per_page - 1) // per_page if per_page else 0
    return {"page": page, "per_page": per_page, "total": total, "total_pages": total_pages}
