"""The SDK's event feed and webhook methods against a real ``clopos serve`` process.

One server (SQLite, demo-seeded, webhook worker polling every 50 ms) serves the module:

* an order created through the SDK comes back from ``get_events(after=…)`` as
  ``order.created`` carrying that very order (v2 and v1);
* a long poll (``wait=5``) on a client whose timeout is 2 s returns as soon as another thread
  writes an event — later than the plain timeout, so the SDK did lengthen it — and
  ``iter_events(follow=True)`` yields events as they are written (sync and async);
* webhook CRUD, secret rotation, the delivery log and redelivery through the SDK, with the
  deliveries arriving at a real receiver (``tests/webhook_receiver.py``) signed with the
  secret the SDK handed out;
* the docs' SDK examples for the feed and webhooks run as written.

Every wait is bounded: threads are joined with a timeout, the receiver waits at most 30 s.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clopos.client import (
    AsyncCloposClient,
    AttemptInfo,
    BadRequestError,
    CloposClient,
    NotFoundError,
    RetryPolicy,
)
from clopos.client.webhooks import WebhookSignatureError, verify_signature
from clopos.models import Customer, Event, Order
from clopos.server.demo import (
    DEMO_BRAND,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_INTEGRATOR,
)
from e2e.conftest import ServerProcess
from webhook_receiver import Receiver

pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parents[2] / "docs"
CREDS: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "integrator_id": DEMO_INTEGRATOR,
}
VERSIONS: dict[str, dict[str, Any]] = {"v2": {}, "v1": {"api_version": "v1", "venue_id": 1}}
JOIN_SECONDS = 30.0
NO_RETRY = RetryPolicy(max_attempts=1)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``clopos serve --seed-demo`` process whose webhook worker looks every 50 ms."""
    root: Path = tmp_path_factory.mktemp("client-events-live")
    server = ServerProcess(
        f"sqlite+aiosqlite:///{root / 'clopos.db'}",
        root,
        extra_env={"CLOPOS_WEBHOOK_POLL_SECONDS": "0.05"},
    )
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()


def client(base_url: str, version: str = "v2", **settings: Any) -> CloposClient:
    return CloposClient(base_url=base_url, **CREDS, **VERSIONS[version], **settings)


def walk_in_order(clopos: CloposClient, name: str) -> Order:
    return clopos.create_order(
        sale_type_id=2,
        venue_id=1,
        customer={"id": 0, "name": name},
        products=[{"product_id": 11, "count": 2}],
    ).data


def new_customer(base_url: str, name: str) -> Customer:
    with client(base_url) as clopos:
        phone = "+99450" + str(uuid.uuid4().int)[:7]
        return clopos.create_customer(name, phone=phone).data


class Later(threading.Thread):
    """Run ``work`` after ``delay`` seconds in a thread; ``started`` is set just before."""

    def __init__(self, delay: float, work: Any) -> None:
        super().__init__(daemon=True)
        self.delay, self.work = delay, work
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            time.sleep(self.delay)
            self.result = self.work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc

    def finish(self) -> Any:
        self.join(JOIN_SECONDS)
        assert not self.is_alive(), "the background work did not finish"
        if self.error is not None:
            raise self.error
        return self.result


# --- the feed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_a_created_order_comes_back_from_the_feed(base_url: str, version: str) -> None:
    with client(base_url, version) as clopos:
        start = clopos.get_events(after="latest")
        assert start.data == [] and start.has_more is False
        cursor = start.next_after
        assert isinstance(cursor, int)

        order = walk_in_order(clopos, f"Feed {version}")
        page = clopos.get_events(after=cursor)
        (event,) = page.data
        assert (event.type, event.brand, event.venue_id) == ("order.created", DEMO_BRAND, 1)
        assert (page.next_after, page.has_more) == (event.id, False)
        assert event.id > cursor

        # ``data`` is the order exactly as the API answers it (docs/events.md), money exact.
        answered = clopos.get_order_by_id(order.id, with_receipt=True).data
        as_order = event.data_as(Order)
        assert as_order.model_dump(exclude_unset=True) == answered.model_dump(exclude_unset=True)
        assert (as_order.id, as_order.status) == (order.id, "PENDING")
        assert as_order.total_amount == order.total_amount == Decimal("17.00")
        assert str(event.data["total_amount"]) == "17.00"

        # A type filter that does not match: nothing, and the cursor stays put.
        other = clopos.get_events(after=cursor, types="customer.*")
        assert (other.data, other.next_after) == ([], cursor)
        assert [e.id for e in clopos.iter_events(after=cursor, types=["order.created"])] == [
            event.id
        ]


def test_a_long_poll_returns_as_soon_as_another_thread_writes(base_url: str) -> None:
    # A 2 s client timeout and a 5 s wait: the event is written at ~3 s, after httpx would
    # have given up on the plain timeout — it does not, because the SDK added the wait. One
    # attempt only: a timed-out attempt retried would hide the difference.
    attempts: list[AttemptInfo] = []
    with client(base_url, timeout=2.0, retry=NO_RETRY, on_attempt=attempts.append) as clopos:
        cursor = clopos.get_events(after="latest").next_after
        writer = Later(3.0, lambda: new_customer(base_url, "Long Poll"))
        began = time.monotonic()
        writer.start()
        page = clopos.get_events(after=cursor, types="customer.created", wait=5)
        took = time.monotonic() - began
        created = writer.finish()
    (event,) = page.data
    assert event.type == "customer.created"
    assert event.data_as(Customer).id == created.id
    assert [(a.attempt, a.status_code, a.error) for a in attempts[-1:]] == [(1, 200, None)]
    assert took > 2.0  # longer than the plain timeout, without an APITimeoutError
    assert took < 4.9  # answered when the event came, not when the wait ran out


def test_iter_events_follow_yields_events_as_they_are_written(base_url: str) -> None:
    names = [f"Follow {n}" for n in range(3)]
    seen: list[Event] = []

    def watch() -> None:
        with client(base_url) as clopos:
            start = clopos.get_events(after="latest").next_after
            ready.set()
            for event in clopos.iter_events(
                after=start, types="customer.created", follow=True, wait=5
            ):
                seen.append(event)
                if len(seen) == len(names):
                    return

    ready = threading.Event()
    watcher = Later(0.0, watch)
    watcher.start()
    assert ready.wait(JOIN_SECONDS)
    for name in names:
        time.sleep(0.3)
        new_customer(base_url, name)
    watcher.finish()
    assert [e.data["name"] for e in seen] == names
    assert [e.id for e in seen] == sorted(e.id for e in seen)


def test_async_long_poll_and_follow(base_url: str) -> None:
    async def run() -> tuple[list[str], list[str]]:
        async with AsyncCloposClient(
            base_url=base_url, timeout=2.0, retry=NO_RETRY, **CREDS
        ) as clopos:
            cursor = (await clopos.get_events(after="latest")).next_after
            write = asyncio.create_task(
                asyncio.to_thread(lambda: (time.sleep(2.5), new_customer(base_url, "Async A")))
            )
            page = await clopos.get_events(after=cursor, types="customer.*", wait=5)
            await write
            polled = [e.data["name"] for e in page.data]
            followed: list[str] = []
            write = asyncio.create_task(
                asyncio.to_thread(lambda: (time.sleep(0.5), new_customer(base_url, "Async B")))
            )
            async for event in clopos.iter_events(
                after=page.next_after, types="customer.created", follow=True, wait=5
            ):
                followed.append(event.data["name"])
                break
            await write
            return polled, followed

    polled, followed = asyncio.run(asyncio.wait_for(run(), JOIN_SECONDS))
    assert (polled, followed) == (["Async A"], ["Async B"])


# --- webhooks -----------------------------------------------------------------------------------


def accepted_events(receiver: Receiver, count: int) -> list[Any]:
    receiver.wait_for(lambda r: len(r.accepted()) >= count)
    return receiver.accepted()


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_webhook_crud_rotation_and_delivery_log(base_url: str, version: str) -> None:
    with Receiver() as receiver, client(base_url, version) as clopos:
        created = clopos.create_webhook(
            f"{receiver.url}/hooks", types=["customer.created"], description="sdk live"
        )
        hook = created.data
        assert created.message == "Webhook created"
        assert hook.secret is not None and hook.secret.startswith("whsec_")
        assert (hook.types, hook.description, hook.enabled) == (
            ["customer.created"],
            "sdk live",
            True,
        )
        first_secret = hook.secret

        listed = {h.id: h for h in clopos.get_webhooks().data}
        assert listed[hook.id].url == f"{receiver.url}/hooks"
        assert listed[hook.id].secret is None  # never shown again
        assert "secret" not in listed[hook.id].model_dump(exclude_unset=True)
        assert clopos.get_webhook_by_id(hook.id).data.types == ["customer.created"]

        changed = clopos.update_webhook(hook.id, types="customer.*", description="").data
        assert (changed.types, changed.description, changed.url) == (
            ["customer.*"],
            None,
            hook.url,
        )

        ada = new_customer(base_url, f"Hooked {version}")
        (first,) = accepted_events(receiver, 1)
        event = verify_signature(first.body, first.headers, first_secret)
        assert (event["type"], event["data"]["id"]) == ("customer.created", ada.id)

        rotated = clopos.rotate_webhook_secret(hook.id)
        assert rotated.message == "Webhook secret rotated"
        new_secret = rotated.data.secret
        assert new_secret is not None and new_secret != first_secret

        grace = new_customer(base_url, f"Rotated {version}")
        second = accepted_events(receiver, 2)[1]
        assert verify_signature(second.body, second.headers, new_secret)["data"]["id"] == grace.id
        with pytest.raises(WebhookSignatureError):
            verify_signature(second.body, second.headers, first_secret)

        log = clopos.get_webhook_deliveries(hook.id)
        assert log.total == 2
        assert [d.event_id for d in log.data] == [second.event["id"], first.event["id"]]
        assert {(d.status, d.attempts, d.last_status_code) for d in log.data} == {
            ("delivered", 1, 200)
        }
        assert clopos.get_webhook_deliveries(hook.id, status="failed").data == []
        newest = log.data[0]
        assert second.headers["Clopos-Delivery-Id"] == str(newest.id)

        detail = clopos.get_webhook_delivery_by_id(hook.id, newest.id).data
        assert detail.attempt_log is not None and len(detail.attempt_log) == 1
        assert (detail.attempt_log[0].status_code, detail.attempt_log[0].response_body) == (
            200,
            "ok",
        )
        assert detail.event is not None
        assert (detail.event.id, detail.event.type) == (newest.event_id, "customer.created")

        again = clopos.redeliver_webhook_delivery(hook.id, newest.id)
        assert again.message == "Delivery queued" and again.data.id == newest.id
        third = accepted_events(receiver, 3)[2]
        assert third.event["id"] == newest.event_id
        assert third.headers["Clopos-Delivery-Attempt"] == "2"
        receiver.wait_for(
            lambda _: clopos.get_webhook_delivery_by_id(hook.id, newest.id).data.attempts == 2
        )

        paused = clopos.update_webhook(hook.id, enabled=False).data
        assert paused.enabled is False
        deleted = clopos.delete_webhook(hook.id)
        assert (deleted.data.id, deleted.data.deleted) == (hook.id, True)
        with pytest.raises(NotFoundError) as missing:
            clopos.get_webhook_by_id(hook.id)
        assert "Webhook not found" in missing.value.message
        assert hook.id not in {h.id for h in clopos.get_webhooks().data}


def test_webhook_refusals_from_the_server_are_typed(base_url: str) -> None:
    with client(base_url) as clopos:
        with pytest.raises(NotFoundError, match="Webhook not found"):
            clopos.get_webhook_deliveries(999_999)
        with pytest.raises(BadRequestError) as unknown:
            clopos.create_webhook("https://example.com/hooks", types=["order.made"])
        assert (unknown.value.status_code, unknown.value.code) == (400, "validation_failed")
        assert "'order.made' is not an event type" in unknown.value.message


# --- the docs' examples, live -------------------------------------------------------------------


def section_blocks(path: Path, heading: str) -> list[str]:
    """The ```python blocks under ``heading`` (up to the next heading of that level)."""
    text = path.read_text(encoding="utf-8")
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n")
    end = text.find(f"\n{level} ", start + len(heading))
    section = text[start : end if end != -1 else len(text)]
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", section, re.S)]


@pytest.mark.parametrize(
    ("doc", "heading"),
    [
        ("sdk.md", "## Events and webhooks (clopos server extensions)"),
        ("events.md", "## From Python: the SDK"),
    ],
)
def test_the_docs_examples_run_as_written(
    base_url: str,
    doc: str,
    heading: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in {
        "CLOPOS_BASE_URL": base_url,
        "CLOPOS_CLIENT_ID": DEMO_CLIENT_ID,
        "CLOPOS_CLIENT_SECRET": DEMO_CLIENT_SECRET,
        "CLOPOS_BRAND": DEMO_BRAND,
        "CLOPOS_INTEGRATOR_ID": DEMO_INTEGRATOR,
    }.items():
        monkeypatch.setenv(name, value)
    blocks = section_blocks(DOCS / doc, heading)
    # The watchers (follow=True) never end by design; they are the same calls as the
    # follow tests above.
    finite = [b for b in blocks if "follow=True" not in b]
    assert finite and len(finite) < len(blocks)
    with client(base_url) as clopos:
        hooks_before = {h.id for h in clopos.get_webhooks().data}
    for index, block in enumerate(finite):
        exec(compile(block, f"{doc}[{heading}][{index}]", "exec"), {"__name__": "__docs__"})
    printed = capsys.readouterr().out
    assert printed.strip(), "the examples print what they read"
    with client(base_url) as clopos:
        # Every example cleans up the endpoint it added.
        assert {h.id for h in clopos.get_webhooks().data} == hooks_before
    if doc == "sdk.md":
        assert "order.created" in printed and "17.00" in printed
