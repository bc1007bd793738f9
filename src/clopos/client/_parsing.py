"""Typed answers and checked bodies, shared by both clients — no I/O (issue 5 item 3).

Answers: ``decode`` reads a body with every non-integer number as an exact ``Decimal`` (so
``8.50`` stays ``8.50`` even under keys no model declares), then ``parse_response``
validates it into the model the endpoint declares (``RequestSpec.response``). The
parametrized envelopes (``VENUES = ListResponse[Venue]`` …) are built once, here, and every
model compiles its validator once, so a call pays one validation pass and nothing else.

Bodies: ``check_body`` validates a request body with the server's own request model
(``clopos.models``) and its cross-field rules, raising ``RequestValidationError`` naming
every bad field before anything is sent. The body sent is the one built, not the model's
dump: the wire carries exactly what the caller gave (nothing trimmed, padded or dropped).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from clopos.client._errors import RequestValidationError, ResponseValidationError
from clopos.models import (
    AuthResponse,
    Category,
    ClosedReceipt,
    Customer,
    CustomerGroup,
    FieldProblem,
    ItemResponse,
    ListResponse,
    MessageResponse,
    Order,
    PaymentMethod,
    Price,
    PriceList,
    Product,
    Receipt,
    SaleType,
    Station,
    StockOperation,
    StopListEntry,
    User,
    Venue,
)
from clopos.models._base import validation_problems

M = TypeVar("M", bound=BaseModel)

# What each method answers (its ``data`` type), built once.
AUTH = AuthResponse
VENUES = ListResponse[Venue]
USERS = ListResponse[User]
USER = ItemResponse[User]
CUSTOMERS = ListResponse[Customer]
CUSTOMER = ItemResponse[Customer]
CUSTOMER_GROUPS = ListResponse[CustomerGroup]
CATEGORIES = ListResponse[Category]
CATEGORY = ItemResponse[Category]
STATIONS = ListResponse[Station]
STATION = ItemResponse[Station]
PRODUCTS = ListResponse[Product]
PRODUCT = ItemResponse[Product]
STOP_LIST = ListResponse[StopListEntry]
SALE_TYPES = ListResponse[SaleType]
PAYMENT_METHODS = ListResponse[PaymentMethod]
PRICE_LISTS = ListResponse[PriceList]
PRICES = ListResponse[Price]
ORDERS = ListResponse[Order]
ORDER = ItemResponse[Order]
RECEIPTS = ListResponse[Receipt]
RECEIPT = ItemResponse[Receipt]
CLOSED_RECEIPT = ItemResponse[ClosedReceipt]
MESSAGE = MessageResponse
STOCK_OPERATIONS = ListResponse[StockOperation]


def decode(content: bytes) -> Any:
    """JSON with non-integer numbers as ``Decimal``; raises ``ValueError`` if not JSON."""
    return json.loads(content, parse_float=Decimal)


def parse_response(model: type[M], body: Any) -> M:
    """``body`` as ``model``; a body that does not fit raises ``ResponseValidationError``
    naming the fields (with the decoded body attached, so nothing is lost)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = validation_problems(exc)
        listing = "; ".join(f"{p.field}: {p.message}" for p in problems[:5])
        raise ResponseValidationError(
            f"The answer does not fit {model.__name__}: {listing}", body=body, errors=problems
        ) from None


def check_body(
    model: type[M],
    body: Mapping[str, Any],
    what: str,
    rules: Callable[[M], list[FieldProblem]] | None = None,
) -> M:
    """Validate ``body`` with ``model`` (then ``rules``, the cross-field checks); raise
    ``RequestValidationError`` naming every bad field, prefixed with ``what``."""
    try:
        validated = model.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError.for_body(what, validation_problems(exc)) from None
    problems = rules(validated) if rules is not None else []
    if problems:
        raise RequestValidationError.for_body(what, problems)
    return validated
