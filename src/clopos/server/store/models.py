"""Tables of the server, as SQLAlchemy 2 ORM classes.

Every tenant row carries ``brand_id``; repositories always filter on it. Uniqueness the
spec promises (customer ``phone``/``code``/``cid`` per brand, …) is a database constraint,
so two racing requests cannot both win. Ids are global integers; lookups are scoped by
brand, so another brand's id answers 404.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from clopos.server.domain.timestamps import utcnow
from clopos.server.store.types import ExactJSON, Money

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        Decimal: Money,
    }


def _brand_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)


class Timestamped:
    """``created_at`` / ``updated_at`` kept in naive UTC."""

    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


# --- system and tenancy -------------------------------------------------------------------


class ServerSetting(Base):
    """Server-wide key/value pairs, e.g. the generated JWT secret."""

    __tablename__ = "server_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Brand(Base, Timestamped):
    """A tenant: one Clopos brand with its venues and catalog."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)


class Integrator(Base, Timestamped):
    """A partner system registered with Clopos (spec §3.4). Not brand-owned."""

    __tablename__ = "integrators"

    id: Mapped[int] = mapped_column(primary_key=True)
    integrator_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    is_test: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class ApiClient(Base, Timestamped):
    """Open API credentials of a brand; the secret is stored only as a scrypt hash."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    client_id: Mapped[str] = mapped_column(String(128), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class V1Token(Base):
    """An opaque v1 token (``oauth_…``), stored as its SHA-256."""

    __tablename__ = "v1_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    api_client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id", ondelete="CASCADE"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Venue(Base, Timestamped):
    """A branch of a brand (spec §9.1)."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(500))
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=1)
    is_main: Mapped[int] = mapped_column(Integer, default=0)
    media: Mapped[list[Any]] = mapped_column(JSON, default=list)


# --- people -------------------------------------------------------------------------------


class User(Base, Timestamped):
    """A staff account (spec §9.2)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    email: Mapped[str | None] = mapped_column(String(255))
    username: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(255))
    last_name: Mapped[str | None] = mapped_column(String(255))
    pin: Mapped[str] = mapped_column(String(16), default="0000")
    card: Mapped[str | None] = mapped_column(String(64))
    mobile_number: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[int] = mapped_column(Integer, default=0)
    hide: Mapped[int] = mapped_column(Integer, default=0)
    salary: Mapped[Decimal | None] = mapped_column(Money)
    barcode: Mapped[str | None] = mapped_column(String(64))
    tip_message: Mapped[str | None] = mapped_column(String(500))
    can_receive_tips: Mapped[bool] = mapped_column(Boolean, default=False)
    login_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[bool] = mapped_column(Boolean, default=True)
    bonus_balance_id: Mapped[int | None] = mapped_column(Integer)
    properties: Mapped[list[Any]] = mapped_column(JSON, default=list)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class Balance(Base, Timestamped):
    """A balance account: customer store credit, cashback, or a cash/card drawer."""

    __tablename__ = "balances"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    venue_id: Mapped[int | None] = mapped_column(Integer)
    system_type: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str | None] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(32), default="CUSTOMER")
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    position: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class CustomerGroup(Base, Timestamped):
    """A customer group (spec §9.7)."""

    __tablename__ = "customer_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    discount_type: Mapped[str | None] = mapped_column(String(32))
    discount_value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    system_type: Mapped[str | None] = mapped_column(String(64))
    total_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class Customer(Base, Timestamped):
    """A customer (spec §9.4); ``phone``, ``code`` and ``cid`` unique per brand."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("brand_id", "phone"),
        UniqueConstraint("brand_id", "code"),
        UniqueConstraint("brand_id", "cid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    cid: Mapped[str] = mapped_column(String(64))
    venue_id: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[int] = mapped_column(ForeignKey("customer_groups.id"))
    balance_id: Mapped[int] = mapped_column(ForeignKey("balances.id"))
    cashback_balance_id: Mapped[int | None] = mapped_column(ForeignKey("balances.id"))
    bonus_balance_id: Mapped[int | None] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(64))
    phones: Mapped[list[Any]] = mapped_column(JSON, default=list)
    address: Mapped[str | None] = mapped_column(String(500))
    addresses: Mapped[list[Any]] = mapped_column(JSON, default=list)
    address_data: Mapped[list[Any] | None] = mapped_column(JSON)
    description: Mapped[str | None] = mapped_column(Text)
    spent: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total_discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total_bonus: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    receipt_count: Mapped[int] = mapped_column(Integer, default=0)
    gender: Mapped[int | None] = mapped_column(Integer)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    code: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))
    reference_id: Mapped[str | None] = mapped_column(String(128))
    phone_verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[bool] = mapped_column(Boolean, default=True)
    can_use_loyalty_system: Mapped[bool] = mapped_column(Boolean, default=False)
    is_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- catalog ------------------------------------------------------------------------------


class Category(Base, Timestamped):
    """A category in a nested-set tree (spec §10.4): ``_lft``/``_rgt``/``depth``."""

    __tablename__ = "categories"
    __table_args__ = (Index("ix_categories_brand_lft", "brand_id", "lft"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=1)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    type: Mapped[str] = mapped_column(String(32), default="PRODUCT")
    position: Mapped[int | None] = mapped_column(Integer)
    lft: Mapped[int] = mapped_column(Integer, default=0)
    rgt: Mapped[int] = mapped_column(Integer, default=0)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    color: Mapped[str | None] = mapped_column(String(16))
    slug: Mapped[str | None] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(64))
    image: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    media: Mapped[list[Any]] = mapped_column(JSON, default=list)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    emenu_position: Mapped[int | None] = mapped_column(Integer)
    emenu_hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class Station(Base, Timestamped):
    """A kitchen/bar station (spec §10.6); v2 ``type``/``printable`` plus v1 fields."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[int] = mapped_column(Integer, default=1)
    type: Mapped[int] = mapped_column(Integer, default=1)
    printable: Mapped[int] = mapped_column(Integer, default=1)
    reminder_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(String(500))


class Unit(Base):
    """A unit of measure (no endpoint; shown via ``with[]=unit``)."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(64))
    short_name: Mapped[str] = mapped_column(String(16), default="")


class Tax(Base):
    """A tax rate (spec §10.2 nested ``taxes``)."""

    __tablename__ = "taxes"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    rate: Mapped[Decimal] = mapped_column(Money)


class Tag(Base):
    """A product tag."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(255))


class Product(Base, Timestamped):
    """A catalog item of any type (spec §10.1): GOODS, DISH, TIMER, PREPARATION, …

    Columns hold what is filtered, joined or priced; ``attributes`` keeps the remaining
    display-only wire fields (``meta``, ``image``, ``setting``, ``color``, …) verbatim.
    """

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("brand_id", "cid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    cid: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    type: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(255))
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    cost_price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    status: Mapped[int] = mapped_column(Integer, default=1)
    hidden: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int | None] = mapped_column(Integer)
    barcode: Mapped[str | None] = mapped_column(String(64))
    gov_code: Mapped[str | None] = mapped_column(String(64))
    sold_by_weight: Mapped[bool] = mapped_column(Boolean, default=False)
    sold_by_portion: Mapped[bool] = mapped_column(Boolean, default=False)
    discountable: Mapped[bool] = mapped_column(Boolean, default=True)
    giftable: Mapped[bool] = mapped_column(Boolean, default=True)
    ignore_service_charge: Mapped[bool] = mapped_column(Boolean, default=False)
    inventory_behavior: Mapped[int] = mapped_column(Integer, default=0)
    cooking_time: Mapped[int] = mapped_column(Integer, default=0)
    max_age: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class ProductTax(Base):
    """Which taxes apply to a product."""

    __tablename__ = "product_taxes"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    tax_id: Mapped[int] = mapped_column(
        ForeignKey("taxes.id", ondelete="CASCADE"), primary_key=True
    )


class ProductTag(Base):
    """Which tags a product carries."""

    __tablename__ = "product_tags"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class ModifierGroup(Base, Timestamped):
    """A modificator group of DISH products (spec §10.2 ``modificator_groups``)."""

    __tablename__ = "modifier_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[int] = mapped_column(Integer, default=1)
    min_select: Mapped[int] = mapped_column(Integer, default=0)
    max_select: Mapped[int] = mapped_column(Integer, default=1)
    adjust_to_portion: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int] = mapped_column(Integer, default=1)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Modifier(Base, Timestamped):
    """One choice of a modifier group (``modificators[]``)."""

    __tablename__ = "modifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    group_id: Mapped[int] = mapped_column(
        ForeignKey("modifier_groups.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    cost_price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    max_count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[bool] = mapped_column(Boolean, default=True)
    ingredient_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ProductModifierGroup(Base):
    """Which modifier groups a DISH offers, in order."""

    __tablename__ = "product_modifier_groups"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("modifier_groups.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class RecipeItem(Base):
    """An ingredient line of a DISH/PREPARATION recipe (``recipe[]``)."""

    __tablename__ = "recipe_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    ingredient_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    gross: Mapped[Decimal] = mapped_column(Money)
    net: Mapped[Decimal] = mapped_column(Money)


class Package(Base):
    """A purchase unit of an INGREDIENT (``packages[]``): ``equal`` base units each."""

    __tablename__ = "packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    equal: Mapped[int] = mapped_column(Integer)


class StopListEntry(Base):
    """A stock limit on a product at a venue (spec §10.3); absent = unlimited."""

    __tablename__ = "stop_list"
    __table_args__ = (UniqueConstraint("venue_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    limit: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PriceList(Base, Timestamped):
    """A named set of prices (spec §10.8)."""

    __tablename__ = "price_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[bool] = mapped_column(Boolean, default=True)


class Price(Base):
    """A product's price in a price list (spec §10.9)."""

    __tablename__ = "prices"
    __table_args__ = (UniqueConstraint("list_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    price: Mapped[Decimal] = mapped_column(Money)


class SaleType(Base, Timestamped):
    """A fulfilment channel (spec §10.10); ``status`` is a venue map ``{"1": 1}``."""

    __tablename__ = "sale_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    system_type: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    service_charge_rate: Mapped[Decimal | None] = mapped_column(Money)
    position: Mapped[int] = mapped_column(Integer, default=0)
    payment_method_id: Mapped[int | None] = mapped_column(Integer)
    media: Mapped[list[Any]] = mapped_column(JSON, default=list)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class PaymentMethod(Base, Timestamped):
    """A tender type (spec §10.11); ``status`` is a venue map."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    split: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)
    customer_required: Mapped[int] = mapped_column(Integer, default=0)
    is_system: Mapped[int] = mapped_column(Integer, default=0)
    balance_id: Mapped[int | None] = mapped_column(ForeignKey("balances.id"))
    service: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- sales: orders, receipts, stock --------------------------------------------------------


class Order(Base, Timestamped):
    """An order pushed by an integration (spec §11); ``payload`` is the stored nested shape."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_brand_status", "brand_id", "status"),
        Index("ix_orders_brand_created", "brand_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    type: Mapped[str] = mapped_column(String(64), default="CALL_CENTER_ORDER")
    integration: Mapped[str] = mapped_column(String(64), default="call_center_new")
    integration_uuid: Mapped[str | None] = mapped_column(String(64))
    integration_id: Mapped[str | None] = mapped_column(String(128))
    customer_ref_id: Mapped[str | None] = mapped_column(String(128))
    integration_status: Mapped[str] = mapped_column(String(32), default="CREATED")
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    payload: Mapped[Any] = mapped_column(ExactJSON)
    integration_response: Mapped[Any | None] = mapped_column(ExactJSON)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    sale_type_id: Mapped[int] = mapped_column(Integer)
    order_number: Mapped[str | None] = mapped_column(String(20))
    # The open receipt created when the till accepts the order (spec §11.1).
    receipt_id: Mapped[int | None] = mapped_column(Integer, index=True)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class Receipt(Base, Timestamped):
    """A sale (spec §12.4): open (status 1) until closed (status 2). ``cid`` unique per brand."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("brand_id", "cid"),
        Index("ix_receipts_brand_created", "brand_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    cid: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(Integer)
    cash_shift_cid: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(Integer)
    open_by_user_id: Mapped[int | None] = mapped_column(Integer)
    close_by_user_id: Mapped[int | None] = mapped_column(Integer)
    courier_id: Mapped[int | None] = mapped_column(Integer)
    seller_id: Mapped[int | None] = mapped_column(Integer)
    terminal_id: Mapped[int | None] = mapped_column(Integer)
    closed_terminal_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32), default="pos")
    service_notification_id: Mapped[int | None] = mapped_column(Integer)
    table_id: Mapped[int | None] = mapped_column(Integer)
    hall_id: Mapped[int | None] = mapped_column(Integer)
    customer_id: Mapped[int | None] = mapped_column(Integer)
    sale_type_id: Mapped[int | None] = mapped_column(Integer)
    is_returns: Mapped[bool | None] = mapped_column(Boolean)
    guests: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[int] = mapped_column(Integer, default=1)
    lock: Mapped[bool] = mapped_column(Boolean, default=False)
    inventory_status: Mapped[int] = mapped_column(Integer, default=0)
    report_status: Mapped[int] = mapped_column(Integer, default=0)
    suspicion: Mapped[int] = mapped_column(Integer, default=0)
    printed: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[Any] = mapped_column(ExactJSON, default=dict)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    original_subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    gift_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    gift_count: Mapped[int] = mapped_column(Integer, default=0)
    total_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total_discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    payment_methods: Mapped[Any] = mapped_column(ExactJSON, default=list)
    fiscal_id: Mapped[str | None] = mapped_column(String(128))
    by_cash: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    by_card: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    remaining: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    discount_type: Mapped[int] = mapped_column(Integer, default=0)
    discount_value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    discount_rate: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    rps_discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    service_charge: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    service_charge_value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    i_tax: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    e_tax: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total_tax: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    delivery_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    description: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(500))
    terminal_version: Mapped[str | None] = mapped_column(String(64))
    loyalty_type: Mapped[int | None] = mapped_column(Integer)
    loyalty_value: Mapped[Decimal | None] = mapped_column(Money)
    order_status: Mapped[str | None] = mapped_column(String(32))
    order_number: Mapped[str | None] = mapped_column(String(64))
    terminal_updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    shift_date: Mapped[date | None] = mapped_column(Date)
    properties: Mapped[Any] = mapped_column(ExactJSON, default=dict)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class ReceiptProduct(Base, Timestamped):
    """A line of a receipt (spec §12.4 ReceiptProduct)."""

    __tablename__ = "receipt_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    receipt_id: Mapped[int] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), index=True
    )
    cid: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(Integer)
    product_hash: Mapped[str | None] = mapped_column(String(255))
    meta: Mapped[Any] = mapped_column(ExactJSON, default=dict)
    count: Mapped[Decimal] = mapped_column(Money, default=Decimal(1))
    portion_size: Mapped[Decimal] = mapped_column(Money, default=Decimal(1))
    is_gift: Mapped[bool] = mapped_column(Boolean, default=False)
    price: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    subtotal: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    discount_type: Mapped[int | None] = mapped_column(Integer)
    discount_rate: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    discount_value: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total_discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    receipt_discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    seller_id: Mapped[int | None] = mapped_column(Integer)
    modificators: Mapped[Any] = mapped_column(ExactJSON, default=list)
    taxes: Mapped[Any] = mapped_column(ExactJSON, default=list)
    terminal_updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class Storage(Base, Timestamped):
    """A stock location of a venue."""

    __tablename__ = "storages"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))


class Stock(Base, Timestamped):
    """How much of a product a storage holds, and at what unit cost."""

    __tablename__ = "stocks"
    __table_args__ = (UniqueConstraint("storage_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    storage_id: Mapped[int] = mapped_column(ForeignKey("storages.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class StockOperation(Base):
    """A stock write-off caused by selling a receipt line (spec §12.10)."""

    __tablename__ = "stock_operations"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    receipt_id: Mapped[int] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), index=True
    )
    receipt_product_id: Mapped[int | None] = mapped_column(Integer)
    operation_id: Mapped[int | None] = mapped_column(Integer)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    stock_id: Mapped[int] = mapped_column(ForeignKey("stocks.id"))
    storage_id: Mapped[int] = mapped_column(ForeignKey("storages.id"))
    quantity: Mapped[Decimal] = mapped_column(Money)
    before_quantity: Mapped[Decimal] = mapped_column(Money)
    after_quantity: Mapped[Decimal] = mapped_column(Money)
    cost: Mapped[Decimal] = mapped_column(Money)
    before_cost: Mapped[Decimal] = mapped_column(Money)
    total_cost: Mapped[Decimal] = mapped_column(Money)
    operated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class IdempotencyKey(Base):
    """A POST's ``Idempotency-Key``: claimed before the work, completed in the same commit.

    The unique constraint is what makes two racing requests with one key produce one write.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("brand_id", "client_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = _brand_fk()
    client_id: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
