"""Morning check for the shop, written against integrify-clopos 0.1.0.

    python integrify_script.py http://127.0.0.1:8000/open-api/v2/

integrify-clopos reads CLOPOS_CLIENT_ID, CLOPOS_CLIENT_SECRET, CLOPOS_BRAND and
CLOPOS_INTEGRATOR_ID by itself. The script lists the catalogue and the customers, signs up a
walk-in customer, places a takeaway order for them (then drops it, it is only a test) and
prints the latest receipts. It is kept exactly as an integrify user writes it: the token goes
in ``headers=`` on every call, answers are checked with ``.ok``, and errors never raise.
"""

import asyncio
import sys

from integrify.clopos import CloposClientClass, CloposRequest

BASE_URL = sys.argv[1]

# The package's singletons are bound to production; send every route to BASE_URL instead.
for route in CloposRequest.urls.values():
    route["base_url"] = BASE_URL


def check(resp, what):
    if not resp.ok:
        print(f"{what} failed: HTTP {resp.status_code}")
        sys.exit(1)
    return resp.body


def main():
    auth = check(CloposRequest.auth(), "auth")
    headers = {"x-token": auth.token}
    print(f"token type: {auth.token_type}")

    venues = check(CloposRequest.get_venues(headers=headers), "venues")
    print("venues: " + ", ".join(f"{v.id} {v.name}" for v in venues.data))

    groups = check(CloposRequest.get_customer_groups(headers=headers), "groups")
    print("customer groups: " + ", ".join(g.name for g in groups.data))

    dishes = check(
        CloposRequest.get_products(page=1, limit=50, filters={"type": ["DISH"]}, headers=headers),
        "products",
    )
    print(f"dishes: {dishes.total}")
    margherita = next(p for p in dishes.data if p.name == "Margherita")
    print(f"margherita: id {margherita.id}, {margherita.price:.2f} AZN")

    customers = check(
        CloposRequest.get_customers(
            with_=["group"], filters=[{"by": "name", "value": "Murad"}], headers=headers
        ),
        "customers",
    )
    for customer in customers.data:
        print(f"customer {customer.id}: {customer.name} ({customer.group.name})")

    created = check(
        CloposRequest.create_customer(
            "Walk-in Test", phone="+994509990011", gender=2, headers=headers
        ),
        "create customer",
    )
    customer = created.data
    print(f"new customer {customer.id}: {customer.name}")

    sale_types = check(CloposRequest.get_sale_types(headers=headers), "sale types")
    takeaway = next(s for s in sale_types.data if s.name == "Takeaway")

    order = check(
        CloposRequest.create_order(
            customer_id=customer.id,
            payload={
                "service": {
                    "sale_type_id": takeaway.id,
                    "sale_type_name": takeaway.name,
                    "venue_id": 1,
                    "venue_name": "Main",
                },
                "customer": {"id": customer.id, "name": customer.name, "phone": "+994509990011"},
                "products": [{"product_id": margherita.id, "count": 2}],
            },
            headers=headers,
        ),
        "create order",
    ).data
    print(f"order {order.id}: waiting at the till: {order.status == 'PENDING'}")

    again = check(
        CloposRequest.get_order_by_id(order.id, with_="receipt:id", headers=headers), "order"
    ).data
    print(f"order {again.id}: {len(again.payload.products)} line(s)")

    pending = check(CloposRequest.get_orders(status="PENDING", headers=headers), "orders")
    print(f"pending orders: {pending.total}")

    dropped = check(CloposRequest.update_order(order.id, status="IGNORE", headers=headers), "drop")
    print(f"order {dropped.data.id}: ignored: {dropped.data.status == 'IGNORE'}")

    receipts = check(
        CloposRequest.get_receipts(page=1, limit=3, sort_by="id", sort_order=1, headers=headers),
        "receipts",
    )
    print(f"receipts: {receipts.total}")
    for receipt in receipts.data:
        print(f"receipt {receipt.id}: {receipt.total:.2f}")

    # The same customer read back through an async client of its own.
    async def read_back():
        client = CloposClientClass(base_url=BASE_URL, sync=False)
        try:
            return await client.get_customer_by_id(customer.id, headers=headers)
        finally:
            await client.aclose()

    found = check(asyncio.run(read_back()), "read back")
    print(f"read back {found.data.id}: {found.data.name}, phone {found.data.phone}")
    CloposRequest.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
