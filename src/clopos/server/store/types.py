"""Column types shared by the tables."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Dialect, Numeric, String, Text
from sqlalchemy.types import TypeDecorator, TypeEngine

from clopos._json import dumps


class Money(TypeDecorator[Decimal]):
    """An amount kept exactly as sent (spec §4.5: never rescaled).

    PostgreSQL ``NUMERIC`` without a scale keeps ``8.50`` as ``8.50``; SQLite has no exact
    decimal type, so there the text of the Decimal is stored.
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(64))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        return str(number) if dialect.name == "sqlite" else number

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        try:
            return value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation:  # pragma: no cover - only if the file was edited by hand
            return Decimal(0)


def _load_exact(text: str) -> Any:
    # Floats come back as Decimal so 8.50 stays 8.50 through a store/load round trip.
    return json.loads(text, parse_float=Decimal)


class ExactJSON(TypeDecorator[Any]):
    """A JSON document whose numbers keep their exact digits (payloads, receipt meta).

    The JSON column types of SQLite and PostgreSQL turn ``8.50`` into a float; this stores the
    text and reads decimals back as ``Decimal``.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return dumps(value).decode()

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return _load_exact(value)
