"""Exact JSON for both sides of the wire: ``Decimal`` is written as the number it holds.

The Open API never states a money scale (spec §4.5), so ``8.50`` must leave as ``8.50`` —
not ``8.5`` (float) and not ``"8.50"`` (string). The server's responses and the SDK's
request bodies both go through ``dumps``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError("a non-finite Decimal cannot be written as JSON")
        # A Fragment is emitted verbatim: 8.50 stays 8.50.
        return orjson.Fragment(str(value).encode())
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(content: Any) -> bytes:
    """JSON bytes, Decimals exact; integer dict keys (venue maps) become strings."""
    return orjson.dumps(content, default=_default, option=orjson.OPT_NON_STR_KEYS)
