"""The demo brand: ``openapitest`` with a realistic café-restaurant catalog.

``seed_demo`` is idempotent: run it on every start. ``seed_brand_catalog`` fills any brand
with the same catalog (tests use it for a second, isolated brand). Ids are assigned by the
database; on a fresh database the demo brand is seeded first, so its venues are 1 and 2.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.timestamps import utcnow
from clopos.server.store.models import (
    Balance,
    Brand,
    Category,
    Customer,
    CustomerGroup,
    Modifier,
    ModifierGroup,
    Package,
    PaymentMethod,
    Price,
    PriceList,
    Product,
    ProductModifierGroup,
    ProductTag,
    ProductTax,
    RecipeItem,
    SaleType,
    Station,
    Stock,
    StopListEntry,
    Storage,
    Tag,
    Tax,
    Unit,
    User,
    Venue,
)
from clopos.server.store.repositories import tenancy

DEMO_BRAND = "openapitest"
DEMO_INTEGRATOR = "demo-integrator"
DEMO_CLIENT_ID = "demo-client"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 - published demo credentials
# The unified layer's demo (docs/unified.md): app, API key and consumer on this same server.
DEMO_UNIFIED_APP_ID = "demo-app"
DEMO_UNIFIED_API_KEY = "demo-unified-key"
DEMO_UNIFIED_CONSUMER_ID = "demo-consumer"


@dataclass(frozen=True)
class DemoSummary:
    """What the seed made (or found), for printing."""

    brand: str
    integrator_id: str
    client_id: str
    client_secret: str
    venue_ids: list[int]
    created: bool
    unified_app_id: str = DEMO_UNIFIED_APP_ID
    unified_api_key: str = DEMO_UNIFIED_API_KEY
    unified_consumer_id: str = DEMO_UNIFIED_CONSUMER_ID


def D(text: str) -> Decimal:
    """Decimal from text (never from float)."""
    return Decimal(text)


# (name, parent, type, color) — a tree three levels deep
_CATEGORIES: list[tuple[str, str | None, str, str]] = [
    ("Food", None, "PRODUCT", "e53935"),
    ("Pizza", "Food", "PRODUCT", "fb8c00"),
    ("Classic Pizza", "Pizza", "PRODUCT", "fdd835"),
    ("Gourmet Pizza", "Pizza", "PRODUCT", "f4511e"),
    ("Burgers", "Food", "PRODUCT", "6d4c41"),
    ("Salads", "Food", "PRODUCT", "43a047"),
    ("Desserts", "Food", "PRODUCT", "ec407a"),
    ("Drinks", None, "PRODUCT", "1e88e5"),
    ("Hot Drinks", "Drinks", "PRODUCT", "8d6e63"),
    ("Coffee", "Hot Drinks", "PRODUCT", "5d4037"),
    ("Tea", "Hot Drinks", "PRODUCT", "689f38"),
    ("Cold Drinks", "Drinks", "PRODUCT", "00bcd4"),
    ("Soft Drinks", "Cold Drinks", "PRODUCT", "00acc1"),
    ("Juices", "Cold Drinks", "PRODUCT", "ffb300"),
    ("Entertainment", None, "PRODUCT", "7e57c2"),
    ("Ingredients", None, "INGREDIENT", "9e9e9e"),
    ("Dairy", "Ingredients", "INGREDIENT", "eeeeee"),
    ("Vegetables", "Ingredients", "INGREDIENT", "66bb6a"),
    ("Semi-finished", None, "INGREDIENT", "bdbdbd"),
    ("Cost Centres", None, "ACCOUNTING", "455a64"),
    ("Archived Specials", "Food", "PRODUCT", "9e9e9e"),  # inactive
]

# ingredient name, category, unit, cost per unit, packages [(name, equal)]
_INGREDIENTS: list[tuple[str, str, str, str, list[tuple[str, int]]]] = [
    ("Mozzarella", "Dairy", "kg", "9.80", [("Block 2 kg", 2)]),
    ("Milk", "Dairy", "l", "1.10", [("Carton 1 l", 1), ("Crate 12 l", 12)]),
    ("Tomato", "Vegetables", "kg", "2.40", [("Box 5 kg", 5)]),
    ("Onion", "Vegetables", "kg", "1.20", [("Sack 10 kg", 10)]),
    ("Lettuce", "Vegetables", "kg", "3.50", [("Box 3 kg", 3)]),
    ("Beef Patty", "Ingredients", "pcs", "1.60", [("Pack 24", 24)]),
    ("Coffee Beans", "Ingredients", "kg", "18.00", [("Bag 1 kg", 1)]),
    ("Flour", "Ingredients", "kg", "0.90", [("Sack 25 kg", 25)]),
]


async def _existing_brand(session: AsyncSession) -> Brand | None:
    return await tenancy.brand_by_slug(session, DEMO_BRAND)


async def seed_demo(
    session: AsyncSession, *, hash_n: int = 2**14, secret_key: SecretStr | str | None = None
) -> DemoSummary:
    """Create the demo brand, integrator, client and catalog unless they exist, and the
    unified demo consumer (its secret encrypted with ``secret_key``, i.e.
    ``CLOPOS_SECRET_KEY``, else the key stored in the database)."""
    created = False
    brand = await _existing_brand(session)
    if brand is None:
        brand = await tenancy.create_brand(session, DEMO_BRAND, "Open API Test Café", is_test=True)
        await seed_brand_catalog(session, brand)
        created = True
    if await tenancy.integrator_by_id(session, DEMO_INTEGRATOR) is None:
        await tenancy.create_integrator(session, DEMO_INTEGRATOR, "Demo integrator", is_test=True)
    if await tenancy.client_by_id(session, DEMO_CLIENT_ID) is None:
        await tenancy.create_client(
            session, brand, DEMO_CLIENT_ID, secret=DEMO_CLIENT_SECRET, name="Demo", hash_n=hash_n
        )
    venue_ids = list(
        (
            await session.scalars(
                select(Venue.id).where(Venue.brand_id == brand.id).order_by(Venue.id)
            )
        ).all()
    )
    await _seed_unified_demo(session, venue_ids[0] if venue_ids else None, secret_key)
    return DemoSummary(
        DEMO_BRAND, DEMO_INTEGRATOR, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, venue_ids, created
    )


async def _seed_unified_demo(
    session: AsyncSession, venue_id: int | None, secret_key: SecretStr | str | None
) -> None:
    """App ``demo-app`` (key ``demo-unified-key``) and consumer ``demo-consumer``, connected
    to the demo brand on this same server (base URL ``"self"``), API v2, the main venue."""
    from clopos.unified import connections

    spec = connections.check_consumer(
        app_id=DEMO_UNIFIED_APP_ID,
        consumer_id=DEMO_UNIFIED_CONSUMER_ID,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        brand=DEMO_BRAND,
        integrator_id=DEMO_INTEGRATOR,
        venue_id=venue_id,
        api_version="v2",
    )
    cipher = await connections.load_cipher(session, secret_key)
    await connections.ensure_demo_connection(session, cipher, spec, api_key=DEMO_UNIFIED_API_KEY)


async def seed_brand_catalog(session: AsyncSession, brand: Brand) -> None:
    """Fill ``brand`` with venues, staff, customers and a full catalog, then commit."""
    b = brand.id
    now = utcnow()
    add = session.add_all

    venues = [
        Venue(
            brand_id=b,
            name="Main",
            address="28 May St 12, Baku",
            phone="+994 12 555 01 01",
            email="main@example.com",
            status=1,
            is_main=1,
            media=[],
        ),
        Venue(
            brand_id=b,
            name="Airport",
            address="Heydar Aliyev Airport, Terminal 1",
            phone="+994 12 555 02 02",
            email="airport@example.com",
            status=1,
            is_main=0,
            media=[],
        ),
    ]
    add(venues)
    await session.flush()
    main, airport = venues

    add(
        [
            User(
                brand_id=b,
                username="Owner",
                email="owner@example.com",
                first_name="Aysel",
                last_name="Mammadova",
                pin="1111",
                owner=1,
                mobile_number="+994501110011",
            ),
            User(
                brand_id=b,
                username="Cashier 1",
                first_name="Rauf",
                last_name="Aliyev",
                pin="2222",
                salary=D("900.00"),
                can_receive_tips=True,
                tip_message="Thank you!",
            ),
            User(
                brand_id=b,
                username="Cashier 2",
                first_name="Leyla",
                last_name="Huseynova",
                pin="3333",
                salary=D("900.00"),
            ),
            User(
                brand_id=b,
                username="Waiter",
                first_name="Nijat",
                last_name="Karimov",
                pin="4444",
                can_receive_tips=True,
            ),
            User(
                brand_id=b,
                username="Courier",
                first_name="Elvin",
                last_name="Rasulov",
                pin="5555",
                mobile_number="+994559990099",
            ),
            User(brand_id=b, username="Former Staff", pin="9999", hide=1, status=False),
        ]
    )

    groups = [
        CustomerGroup(
            brand_id=b,
            name="My Customers",
            discount_type=None,
            discount_value=D("0"),
            system_type="my_customers",
        ),
        CustomerGroup(
            brand_id=b,
            name="VIP",
            discount_type="PERCENT",
            discount_value=D("10"),
            system_type=None,
        ),
        CustomerGroup(
            brand_id=b,
            name="Staff",
            discount_type="PERCENT",
            discount_value=D("25"),
            system_type=None,
        ),
    ]
    add(groups)

    cash_balance = Balance(
        brand_id=b,
        venue_id=main.id,
        system_type="CASH",
        name="Cash drawer",
        type="CASH",
        amount=D("1500.00"),
        position=1,
    )
    card_balance = Balance(
        brand_id=b,
        venue_id=main.id,
        system_type="CARD",
        name="Card terminal",
        type="CARD",
        amount=D("0"),
        position=2,
    )
    add([cash_balance, card_balance])
    await session.flush()

    first_names = [
        "Rahid",
        "Aytan",
        "Murad",
        "Sevinj",
        "Kamran",
        "Nigar",
        "Orkhan",
        "Gunel",
        "Tural",
        "Lala",
        "Farid",
        "Samira",
        "Elchin",
        "Konul",
        "Vusal",
        "Aynur",
        "Ilkin",
        "Narmin",
        "Emil",
        "Zarina",
        "John",
        "Maria",
    ]
    last_names = [
        "Akhundzada",
        "Guliyeva",
        "Hasanov",
        "Ismayilova",
        "Jafarov",
        "Mammadli",
        "Novruzov",
        "Orujova",
        "Qasimov",
        "Rzayeva",
        "Safarov",
        "Talibova",
        "Valiyev",
        "Yusifova",
        "Zeynalov",
        "Abbasova",
        "Babayev",
        "Cafarova",
        "Dadashov",
        "Eyvazova",
        "Smith",
        "Garcia",
    ]
    for i, (first, last) in enumerate(zip(first_names, last_names, strict=True)):
        balance = Balance(
            brand_id=b,
            name=f"{first} {last}",
            type="CUSTOMER",
            amount=D(f"{(i * 7) % 50}.{(i * 13) % 100:02d}"),
        )
        cashback = Balance(
            brand_id=b, name=f"{first} {last} cashback", type="CUSTOMER", amount=D(f"{i % 5}.50")
        )
        add([balance, cashback])
        await session.flush()
        group = groups[1] if i % 7 == 0 else groups[2] if i % 11 == 0 else groups[0]
        phone = f"+99450{5550000 + i * 37:07d}"
        session.add(
            Customer(
                brand_id=b,
                cid=str(uuid.uuid4()),
                venue_id=main.id if i % 3 else airport.id,
                group_id=group.id,
                balance_id=balance.id,
                cashback_balance_id=cashback.id,
                name=f"{first} {last}",
                email=f"{first.lower()}.{last.lower()}@example.com" if i % 4 else None,
                phone=phone,
                phones=[phone] + ([f"+99455{4440000 + i:07d}"] if i % 5 == 0 else []),
                address=f"{10 + i} Nizami St, Baku" if i % 2 else None,
                addresses=[f"{10 + i} Nizami St, Baku"] if i % 2 else [],
                description="Prefers window seat" if i == 3 else None,
                spent=D(f"{i * 23}.{(i * 17) % 100:02d}"),
                receipt_count=i * 2,
                gender=1 if i % 2 == 0 else 2,
                date_of_birth=date(1980 + i, 1 + i % 12, 1 + i % 27),
                code=f"CARD{1000 + i}",
                source="LOYALTY" if i % 6 == 0 else None,
                discount=group.discount_value,
                can_use_loyalty_system=i % 3 == 0,
                is_verified=i % 4 == 0,
                phone_verified_at=now - timedelta(days=i) if i % 4 == 0 else None,
            )
        )

    stations = [
        Station(
            brand_id=b,
            name="Kitchen",
            status=1,
            type=1,
            printable=1,
            reminder_enabled=True,
            description="Hot line",
        ),
        Station(
            brand_id=b, name="Bar", status=1, type=0, printable=1, description="Drinks and coffee"
        ),
        Station(
            brand_id=b,
            name="Pastry screen",
            status=1,
            type=0,
            printable=0,
            description="Kitchen display only",
        ),
    ]
    add(stations)
    kitchen, bar, pastry = stations

    units = {
        name: Unit(brand_id=b, name=long, short_name=name)
        for name, long in [("pcs", "Piece"), ("kg", "Kilogram"), ("l", "Litre"), ("min", "Minute")]
    }
    add(list(units.values()))
    vat = Tax(brand_id=b, name="VAT 18%", rate=D("18"))
    city = Tax(brand_id=b, name="City tax 2%", rate=D("2"))
    add([vat, city])
    tags = {n: Tag(brand_id=b, name=n) for n in ["vegan", "spicy", "new", "bestseller"]}
    add(list(tags.values()))
    await session.flush()

    categories = await _seed_categories(session, b)
    await session.flush()

    def product(
        name: str,
        ptype: str,
        category: str | None,
        price: str,
        cost: str = "0",
        *,
        station: Station | None = None,
        unit: str = "pcs",
        **kw: Any,
    ) -> Product:
        attrs: dict[str, Any] = {
            "meta": {
                "langs": {"en": [], "az": []},
                "availability": {"schedules": {"itemAvailability": [], "itemVisibility": []}},
            },
            "color": categories[category].color if category else None,
            "image": None,
            "emenu_hidden": False,
        }
        attrs.update(kw.pop("attributes", {}))
        p = Product(
            brand_id=b,
            cid=str(uuid.uuid4()),
            name=name,
            type=ptype,
            category_id=categories[category].id if category else None,
            station_id=station.id if station else None,
            unit_id=units[unit].id,
            price=D(price),
            cost_price=D(cost),
            attributes=attrs,
            **kw,
        )
        session.add(p)
        return p

    ingredients: dict[str, Product] = {}
    for name, cat, unit, cost, _packs in _INGREDIENTS:
        ing = product(
            name,
            "INGREDIENT",
            cat,
            "0",
            cost,
            unit=unit,
            inventory_behavior=1,
            discountable=False,
            giftable=False,
        )
        ingredients[name] = ing
    await session.flush()
    for name, _cat, _unit, _cost, packs in _INGREDIENTS:
        for pack_name, equal in packs:
            session.add(
                Package(brand_id=b, product_id=ingredients[name].id, name=pack_name, equal=equal)
            )

    dough = product(
        "Pizza Dough", "PREPARATION", "Semi-finished", "0", "0.45", unit="kg", inventory_behavior=0
    )
    sauce = product(
        "Tomato Sauce", "PREPARATION", "Semi-finished", "0", "0.80", unit="kg", inventory_behavior=0
    )
    await session.flush()

    def recipe(dish: Product, *lines: tuple[Product, str, str]) -> None:
        for ingredient, gross, net in lines:
            session.add(
                RecipeItem(
                    brand_id=b,
                    product_id=dish.id,
                    ingredient_id=ingredient.id,
                    gross=D(gross),
                    net=D(net),
                )
            )

    recipe(dough, (ingredients["Flour"], "0.600", "0.600"))
    recipe(
        sauce, (ingredients["Tomato"], "1.200", "1.000"), (ingredients["Onion"], "0.100", "0.080")
    )

    # modifier groups
    size = ModifierGroup(
        brand_id=b, name="Pizza size", type=1, min_select=1, max_select=1, adjust_to_portion=False
    )
    extras = ModifierGroup(brand_id=b, name="Extra toppings", type=0, min_select=0, max_select=4)
    spice = ModifierGroup(brand_id=b, name="Spice Level", type=1, min_select=0, max_select=1)
    milk = ModifierGroup(brand_id=b, name="Milk", type=1, min_select=0, max_select=1)
    add([size, extras, spice, milk])
    await session.flush()
    add(
        [
            Modifier(brand_id=b, group_id=size.id, name="Small 25 cm", price=D("0"), position=1),
            Modifier(brand_id=b, group_id=size.id, name="Large 35 cm", price=D("4.00"), position=2),
            Modifier(
                brand_id=b,
                group_id=extras.id,
                name="Extra cheese",
                price=D("1.50"),
                cost_price=D("0.40"),
                max_count=2,
                ingredient_id=ingredients["Mozzarella"].id,
            ),
            Modifier(
                brand_id=b,
                group_id=extras.id,
                name="Onion rings",
                price=D("0.80"),
                ingredient_id=ingredients["Onion"].id,
            ),
            Modifier(brand_id=b, group_id=extras.id, name="Jalapeños", price=D("0.90")),
            Modifier(brand_id=b, group_id=spice.id, name="Mild", price=D("0")),
            Modifier(brand_id=b, group_id=spice.id, name="Hot", price=D("0")),
            Modifier(brand_id=b, group_id=milk.id, name="Oat milk", price=D("0.60")),
            Modifier(brand_id=b, group_id=milk.id, name="Lactose-free", price=D("0.40")),
        ]
    )

    dishes: list[tuple[str, str, str, str, Station, list[ModifierGroup], list[str]]] = [
        ("Margherita", "Classic Pizza", "8.50", "2.10", kitchen, [size, extras], ["bestseller"]),
        ("Pepperoni", "Classic Pizza", "9.90", "2.60", kitchen, [size, extras, spice], ["spicy"]),
        ("Four Cheese", "Gourmet Pizza", "11.40", "3.40", kitchen, [size, extras], []),
        ("Truffle Mushroom", "Gourmet Pizza", "13.80", "4.10", kitchen, [size], ["new"]),
        ("Classic Burger", "Burgers", "7.20", "2.30", kitchen, [extras, spice], ["bestseller"]),
        ("Cheeseburger", "Burgers", "7.90", "2.55", kitchen, [extras], []),
        ("Veggie Burger", "Burgers", "7.50", "2.00", kitchen, [spice], ["vegan"]),
        ("Caesar Salad", "Salads", "6.40", "1.90", kitchen, [], []),
        ("Greek Salad", "Salads", "5.90", "1.70", kitchen, [], ["vegan"]),
        ("Tiramisu", "Desserts", "4.50", "1.20", pastry, [], []),
        ("Cheesecake", "Desserts", "4.80", "1.35", pastry, [], ["bestseller"]),
        ("Baklava", "Desserts", "3.20", "0.90", pastry, [], []),
        ("Espresso", "Coffee", "2.00", "0.35", bar, [], []),
        ("Cappuccino", "Coffee", "3.00", "0.55", bar, [milk], ["bestseller"]),
        ("Latte", "Coffee", "3.40", "0.60", bar, [milk], []),
        ("Flat White", "Coffee", "3.60", "0.65", bar, [milk], ["new"]),
        ("Black Tea Pot", "Tea", "3.50", "0.30", bar, [], []),
        ("Green Tea", "Tea", "2.80", "0.25", bar, [], ["vegan"]),
    ]
    made_dishes: dict[str, Product] = {}
    for name, cat, price, cost, station, _groups, _tags in dishes:
        made_dishes[name] = product(
            name,
            "DISH",
            cat,
            price,
            cost,
            station=station,
            cooking_time=12 if station is kitchen else 3,
            sold_by_portion=name in {"Caesar Salad", "Greek Salad"},
        )
    await session.flush()
    for name, _cat, _p, _c, _s, mgroups, tag_names in dishes:
        dish = made_dishes[name]
        for position, mgroup in enumerate(mgroups):
            session.add(
                ProductModifierGroup(product_id=dish.id, group_id=mgroup.id, position=position)
            )
        for tag_name in tag_names:
            session.add(ProductTag(product_id=dish.id, tag_id=tags[tag_name].id))
        session.add(ProductTax(product_id=dish.id, tax_id=vat.id))
    for pizza in ("Margherita", "Pepperoni", "Four Cheese", "Truffle Mushroom"):
        recipe(
            made_dishes[pizza],
            (dough, "0.250", "0.250"),
            (sauce, "0.080", "0.080"),
            (ingredients["Mozzarella"], "0.120", "0.120"),
        )
    recipe(
        made_dishes["Classic Burger"],
        (ingredients["Beef Patty"], "1", "1"),
        (ingredients["Lettuce"], "0.020", "0.018"),
        (ingredients["Tomato"], "0.030", "0.025"),
    )
    recipe(
        made_dishes["Cheeseburger"],
        (ingredients["Beef Patty"], "1", "1"),
        (ingredients["Mozzarella"], "0.030", "0.030"),
    )
    recipe(
        made_dishes["Greek Salad"],
        (ingredients["Tomato"], "0.150", "0.120"),
        (ingredients["Onion"], "0.030", "0.025"),
        (ingredients["Lettuce"], "0.080", "0.070"),
    )
    recipe(made_dishes["Espresso"], (ingredients["Coffee Beans"], "0.009", "0.009"))
    recipe(
        made_dishes["Cappuccino"],
        (ingredients["Coffee Beans"], "0.009", "0.009"),
        (ingredients["Milk"], "0.150", "0.150"),
    )
    recipe(
        made_dishes["Latte"],
        (ingredients["Coffee Beans"], "0.009", "0.009"),
        (ingredients["Milk"], "0.220", "0.220"),
    )

    # GOODS: some with variants (MODIFICATION children), some plain
    goods: list[tuple[str, str, str, str, str | None, list[tuple[str, str, str]]]] = [
        (
            "Coca-Cola",
            "Soft Drinks",
            "0",
            "0",
            None,
            [("0.33 L", "1.80", "0.60"), ("0.5 L", "2.40", "0.80"), ("1 L", "3.60", "1.20")],
        ),
        (
            "Fanta",
            "Soft Drinks",
            "0",
            "0",
            None,
            [("0.33 L", "1.80", "0.60"), ("0.5 L", "2.40", "0.80")],
        ),
        ("Mineral Water", "Soft Drinks", "1.20", "0.30", "4760001000012", []),
        ("Orange Juice", "Juices", "3.20", "1.10", "4760001000029", []),
        ("Apple Juice", "Juices", "3.00", "1.00", "4760001000036", []),
        ("Pomegranate Juice", "Juices", "3.90", "1.40", None, []),
        ("Croissant", "Desserts", "2.20", "0.70", None, []),
        ("Chocolate Bar", "Desserts", "1.50", "0.60", "4760001000043", []),
    ]
    for name, cat, price, cost, barcode, variants in goods:
        parent = product(
            name,
            "GOODS",
            cat,
            price,
            cost,
            station=bar,
            barcode=barcode,
            inventory_behavior=1,
            gov_code="234234324" if barcode else None,
        )
        await session.flush()
        session.add(ProductTax(product_id=parent.id, tax_id=vat.id))
        for label, vprice, vcost in variants:
            product(
                f"{name} {label}",
                "MODIFICATION",
                cat,
                vprice,
                vcost,
                station=bar,
                parent_id=parent.id,
                inventory_behavior=1,
                attributes={"parent_name": name, "variant_name": label},
            )

    timers = [
        ("PlayStation 5", "Entertainment", "6.00", [("6.00", 0), ("5.00", 60)]),
        ("Billiards Table", "Entertainment", "8.00", [("8.00", 0), ("7.00", 120)]),
    ]
    for name, cat, price, prices in timers:
        timer = product(
            name,
            "TIMER",
            cat,
            price,
            "0",
            unit="min",
            discountable=True,
            attributes={
                "setting": {"interval": 60, "prices": [{"price": p, "from": f} for p, f in prices]}
            },
        )
        await session.flush()
        session.add(ProductTax(product_id=timer.id, tax_id=city.id))

    product("Seasonal Soup", "DISH", "Archived Specials", "4.00", "1.00", station=kitchen, status=0)
    await session.flush()

    # sale types and payment methods, enabled per venue
    both = {str(main.id): 1, str(airport.id): 1}
    add(
        [
            SaleType(
                brand_id=b,
                name="Dine-in",
                system_type="IN",
                channel="POS",
                status=both,
                service_charge_rate=D("10"),
                position=1,
            ),
            SaleType(
                brand_id=b,
                name="Takeaway",
                system_type="TAKEAWAY",
                channel="POS",
                status=both,
                position=2,
            ),
            SaleType(
                brand_id=b,
                name="Delivery",
                system_type="DELIVERY",
                channel="CALL_CENTER",
                status={str(main.id): 1, str(airport.id): 0},
                position=3,
            ),
        ]
    )
    add(
        [
            PaymentMethod(
                brand_id=b,
                name="Cash",
                status=both,
                split=1,
                position=1,
                is_system=1,
                balance_id=cash_balance.id,
            ),
            PaymentMethod(
                brand_id=b,
                name="Card",
                status=both,
                split=1,
                position=2,
                is_system=1,
                balance_id=card_balance.id,
            ),
            PaymentMethod(
                brand_id=b,
                name="Customer Balance",
                status={str(main.id): 1, str(airport.id): 0},
                split=0,
                position=3,
                customer_required=1,
                is_system=0,
                service={"name": "loyalty", "type": "BALANCE"},
            ),
        ]
    )

    # two price lists covering every sellable product
    sellable = list(
        (
            await session.scalars(
                select(Product)
                .where(
                    Product.brand_id == b,
                    Product.type.in_(["DISH", "MODIFICATION", "TIMER"]),
                    Product.status == 1,
                )
                .order_by(Product.id)
            )
        ).all()
    ) + list(
        (
            await session.scalars(
                select(Product)
                .where(Product.brand_id == b, Product.type == "GOODS", Product.price > 0)
                .order_by(Product.id)
            )
        ).all()
    )
    standard = PriceList(
        brand_id=b, name="Standard Prices", description="Prices at the counter", status=True
    )
    delivery = PriceList(
        brand_id=b,
        name="Delivery Prices",
        description="Prices applied to delivery orders",
        status=True,
    )
    add([standard, delivery])
    await session.flush()
    for item in sellable:
        session.add(Price(brand_id=b, list_id=standard.id, product_id=item.id, price=item.price))
        session.add(
            Price(
                brand_id=b,
                list_id=delivery.id,
                product_id=item.id,
                price=(item.price * D("1.15")).quantize(D("0.01")),
            )
        )

    stop_ms = now
    by_name = {p.name: p for p in sellable}
    add(
        [
            StopListEntry(
                brand_id=b,
                venue_id=main.id,
                product_id=by_name["Truffle Mushroom"].id,
                limit=0,
                updated_at=stop_ms,
            ),
            StopListEntry(
                brand_id=b,
                venue_id=main.id,
                product_id=by_name["Cheesecake"].id,
                limit=3,
                updated_at=stop_ms,
            ),
            StopListEntry(
                brand_id=b,
                venue_id=main.id,
                product_id=by_name["Fanta 0.5 L"].id,
                limit=12,
                updated_at=stop_ms,
            ),
            StopListEntry(
                brand_id=b,
                venue_id=airport.id,
                product_id=by_name["Tiramisu"].id,
                limit=0,
                updated_at=stop_ms,
            ),
        ]
    )
    await _seed_stock(session, b, [main, airport], [*ingredients.values(), dough, sauce])
    await _seed_receipts(session, b, main, airport)
    await session.commit()


# Opening stock per unit of measure (spec §12.10 write-offs come out of it).
_OPENING_STOCK = {"kg": "40.000", "l": "30.000", "pcs": "150"}
_PREPARATION_STOCK = "12.000"


async def _seed_stock(
    session: AsyncSession, brand_id: int, venues: list[Venue], items: list[Product]
) -> None:
    """One storage per venue holding every INGREDIENT and PREPARATION at its cost price."""
    units = {
        unit.id: unit.short_name
        for unit in await session.scalars(select(Unit).where(Unit.brand_id == brand_id))
    }
    for venue in venues:
        storage = Storage(brand_id=brand_id, venue_id=venue.id, name=f"{venue.name} storage")
        session.add(storage)
        await session.flush()
        for item in items:
            if item.type == "PREPARATION":
                quantity = _PREPARATION_STOCK
            else:
                quantity = _OPENING_STOCK.get(units.get(item.unit_id or 0, "pcs"), "100")
            session.add(
                Stock(
                    brand_id=brand_id,
                    storage_id=storage.id,
                    product_id=item.id,
                    quantity=D(quantity),
                    cost=item.cost_price,
                )
            )
    await session.flush()


# Sample sales: (venue, days ago, minutes past noon, sale type, cashier, lines, tender,
# closed). Six closed receipts over the last days, two still open at Main today.
_SAMPLE_RECEIPTS: list[tuple[str, int, int, str, str, list[tuple[str, int]], str, bool]] = [
    (
        "Main",
        5,
        10,
        "Dine-in",
        "Cashier 1",
        [("Margherita", 2), ("Coca-Cola 0.5 L", 2)],
        "Cash",
        True,
    ),
    ("Main", 4, 95, "Takeaway", "Cashier 2", [("Cappuccino", 1), ("Croissant", 1)], "Card", True),
    (
        "Main",
        3,
        40,
        "Dine-in",
        "Cashier 1",
        [("Classic Burger", 1), ("Greek Salad", 1), ("Mineral Water", 1)],
        "Card",
        True,
    ),
    ("Main", 2, 300, "Delivery", "Cashier 1", [("Pepperoni", 1), ("Four Cheese", 1)], "Cash", True),
    ("Airport", 2, 20, "Takeaway", "Cashier 2", [("Espresso", 2), ("Cheesecake", 1)], "Card", True),
    ("Airport", 1, 65, "Dine-in", "Cashier 2", [("Latte", 1), ("Tiramisu", 1)], "Cash", True),
    ("Main", 0, -60, "Dine-in", "Waiter", [("Margherita", 1), ("Black Tea Pot", 1)], "", False),
    ("Main", 0, -20, "Takeaway", "Cashier 1", [("Flat White", 2)], "", False),
]


async def _seed_receipts(session: AsyncSession, brand_id: int, main: Venue, airport: Venue) -> None:
    """The sample sales of :data:`_SAMPLE_RECEIPTS`, through the same code as the API
    (imported open, then closed with the exact total, writing off stock)."""
    from clopos.server.domain.receipts import ReceiptCreate
    from clopos.server.store.repositories import receipts as receipts_repo

    async def ids(model: Any, column: Any) -> dict[str, int]:
        rows = await session.execute(select(column, model.id).where(model.brand_id == brand_id))
        return {name: row_id for name, row_id in rows.all()}

    products = await ids(Product, Product.name)
    sale_types = await ids(SaleType, SaleType.name)
    methods = await ids(PaymentMethod, PaymentMethod.name)
    users = await ids(User, User.username)
    venues = {"Main": main.id, "Airport": airport.id}
    today_noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    now = utcnow()
    for venue, days_ago, minutes, sale_type, user, lines, tender, closed in _SAMPLE_RECEIPTS:
        if closed:
            created = today_noon - timedelta(days=days_ago) + timedelta(minutes=minutes)
        else:
            created = now + timedelta(minutes=minutes)
        body = ReceiptCreate.model_validate(
            {
                "cid": str(uuid.uuid4()),
                "status": 1,
                "user_id": users[user],
                "sale_type_id": sale_types[sale_type],
                "guests": 2 if sale_type == "Dine-in" else 1,
                "service_charge": D("10") if sale_type == "Dine-in" else D("0"),
                "delivery_fee": D("2.50") if sale_type == "Delivery" else D("0"),
                "created_at": created,
                "receipt_products": [
                    {"product_id": products[name], "count": count} for name, count in lines
                ],
            }
        )
        receipt = await receipts_repo.create_receipt(
            session, brand_id=brand_id, venue_id=venues[venue], body=body
        )
        if closed:
            await receipts_repo.close_receipt(
                session,
                receipt,
                [{"id": methods[tender], "amount": receipt.total}],
                created + timedelta(minutes=35),
                user_id=users[user],
            )
    await session.flush()


async def _seed_categories(session: AsyncSession, brand_id: int) -> dict[str, Category]:
    """Insert the category tree and number it as a nested set."""
    made: dict[str, Category] = {}
    for position, (name, parent, ctype, color) in enumerate(_CATEGORIES, start=1):
        category = Category(
            brand_id=brand_id,
            name=name,
            type=ctype,
            color=color,
            position=position,
            parent_id=made[parent].id if parent else None,
            status=0 if name == "Archived Specials" else 1,
            slug=name.lower().replace(" ", "-"),
            media=[],
        )
        session.add(category)
        await session.flush()
        made[name] = category
    children: dict[str | None, list[str]] = {}
    for name, parent, _t, _c in _CATEGORIES:
        children.setdefault(parent, []).append(name)
    counter = 0

    def number(name: str, depth: int) -> None:
        nonlocal counter
        counter += 1
        made[name].lft = counter
        made[name].depth = depth
        for child in children.get(name, []):
            number(child, depth + 1)
        counter += 1
        made[name].rgt = counter

    for root in children.get(None, []):
        number(root, 0)
    return made
