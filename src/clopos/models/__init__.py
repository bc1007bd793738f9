"""Wire models of the Clopos Open API, one module per resource (DESIGN.md principle 2).

Response models read leniently — unknown keys are kept in ``model_extra`` and written back
by ``model_dump()`` under their wire names, absent keys stay unset — and money is an exact
``Decimal`` (``8.50`` stays ``8.50``). ``clopos.client`` returns them::

    from clopos.models import ItemResponse, Receipt

    resp: ItemResponse[Receipt] = clopos.get_receipt_by_id(42)
    resp.data.total            # Decimal

Request bodies (``FlatOrder``, ``NestedOrder``, ``CustomerCreate``, ``ReceiptCreate``,
``ReceiptUpdate``, ``PatchBody``, ``CloseBody``, ``PaymentIn`` …) are strict and shared by
the server, which validates with them, and the SDK, which checks a body before sending.

The event feed and webhooks (clopos server extensions, docs/events.md) have their own:
``Event``/``EventPage`` and ``Webhook``, ``WebhookDelivery``, ``WebhookDeliveryDetail`` …,
with the SDK-side body checks ``WebhookCreate``/``WebhookUpdate``.
"""

from __future__ import annotations

from clopos.models._base import FieldProblem, Media, Named, WireModel
from clopos.models.balances import Balance
from clopos.models.categories import Category
from clopos.models.customer_groups import CustomerGroup
from clopos.models.customers import Customer, CustomerCreate
from clopos.models.envelopes import (
    AuthResponse,
    Envelope,
    ItemResponse,
    ListResponse,
    MessageResponse,
    Pagination,
)
from clopos.models.events import Event, EventPage
from clopos.models.orders import (
    FlatCustomer,
    FlatModifier,
    FlatOrder,
    FlatProduct,
    NestedOrder,
    Order,
    OrderCustomer,
    OrderLine,
    OrderMeta,
    OrderModificator,
    OrderPayload,
    OrderService,
    ReceiptLink,
)
from clopos.models.payment_methods import PaymentMethod
from clopos.models.price_lists import Price, PriceList
from clopos.models.products import (
    Modificator,
    ModificatorGroup,
    Package,
    Product,
    ProductCode,
    RecipeItem,
    Tag,
    Tax,
    TimerSetting,
    Unit,
)
from clopos.models.receipts import (
    CloseBody,
    ClosedReceipt,
    LineIn,
    LineModificator,
    PatchBody,
    PaymentIn,
    Receipt,
    ReceiptCreate,
    ReceiptMeta,
    ReceiptPayment,
    ReceiptProduct,
    ReceiptUpdate,
)
from clopos.models.sale_types import SaleType
from clopos.models.stations import Station
from clopos.models.stock_operations import StockOperation
from clopos.models.stop_list import StopListEntry
from clopos.models.users import User
from clopos.models.venues import Venue
from clopos.models.webhooks import (
    Webhook,
    WebhookAttempt,
    WebhookCreate,
    WebhookDeleted,
    WebhookDelivery,
    WebhookDeliveryDetail,
    WebhookUpdate,
)

__all__ = [
    "AuthResponse",
    "Balance",
    "Category",
    "CloseBody",
    "ClosedReceipt",
    "Customer",
    "CustomerCreate",
    "CustomerGroup",
    "Envelope",
    "Event",
    "EventPage",
    "FieldProblem",
    "FlatCustomer",
    "FlatModifier",
    "FlatOrder",
    "FlatProduct",
    "ItemResponse",
    "LineIn",
    "LineModificator",
    "ListResponse",
    "Media",
    "MessageResponse",
    "Modificator",
    "ModificatorGroup",
    "Named",
    "NestedOrder",
    "Order",
    "OrderCustomer",
    "OrderLine",
    "OrderMeta",
    "OrderModificator",
    "OrderPayload",
    "OrderService",
    "Package",
    "Pagination",
    "PatchBody",
    "PaymentIn",
    "PaymentMethod",
    "Price",
    "PriceList",
    "Product",
    "ProductCode",
    "Receipt",
    "ReceiptCreate",
    "ReceiptLink",
    "ReceiptMeta",
    "ReceiptPayment",
    "ReceiptProduct",
    "ReceiptUpdate",
    "RecipeItem",
    "SaleType",
    "Station",
    "StockOperation",
    "StopListEntry",
    "Tag",
    "Tax",
    "TimerSetting",
    "Unit",
    "User",
    "Venue",
    "Webhook",
    "WebhookAttempt",
    "WebhookCreate",
    "WebhookDeleted",
    "WebhookDelivery",
    "WebhookDeliveryDetail",
    "WebhookUpdate",
    "WireModel",
]
