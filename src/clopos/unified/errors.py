"""The unified layer's one error type, rendered as Apideck's error envelope (spec §4).

Pure code (mapping, PATCH rules) raises ``UnifiedError``; the routes turn it into
``{status_code, error, type_name, message, detail, ref, downstream_errors?}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class UnifiedError(Exception):
    """An error the unified API answers with; ``type_name`` is Apideck's catalogue name."""

    def __init__(
        self,
        status_code: int,
        type_name: str,
        message: str,
        detail: Any = None,
        *,
        downstream_errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.type_name = type_name
        self.message = message
        self.detail = detail
        self.downstream_errors = downstream_errors

    @property
    def error(self) -> str:
        """The HTTP reason phrase, Apideck's ``error`` member (e.g. ``"Bad Request"``)."""
        try:
            return HTTPStatus(self.status_code).phrase
        except ValueError:
            return "Error"
