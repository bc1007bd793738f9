"""``clopos unified webhook add/list/remove`` and ``clopos worker --once`` delivering unified
events, on a temporary SQLite database holding the demo brand and its demo consumer.

The order is made through ``/pos/orders`` of an in-process ``clopos.server`` app on the same
database file; the separate worker command then translates and delivers it to a real HTTP
receiver on 127.0.0.1. A refused command exits 2 with one ``error: …`` line on stderr.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from typer.testing import CliRunner

from clopos.cli import app
from clopos.server.app import create_app
from clopos.settings import Settings
from clopos.unified.webhook_events import verify
from webhook_receiver import Receiver

runner = CliRunner()
DEMO = {
    "Authorization": "Bearer demo-unified-key",
    "x-apideck-app-id": "demo-app",
    "x-apideck-consumer-id": "demo-consumer",
}
CONSUMER = ["--app", "demo-app", "--consumer", "demo-consumer"]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in [n for n in os.environ if n.startswith("CLOPOS_")]:
        monkeypatch.delenv(name)
    url = f"sqlite+aiosqlite:///{tmp_path / 'unified-hooks.db'}"
    monkeypatch.setenv("CLOPOS_DATABASE_URL", url)
    monkeypatch.setenv("CLOPOS_SECRET_HASH_N", "256")
    seeded = runner.invoke(app, ["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    return url


async def make_order(database_url: str) -> str:
    """An order through /pos/orders of a clopos.server app on the same database."""
    server = create_app(
        Settings(database_url=database_url, secret_hash_n=256, webhook_worker=False)
    )
    async with (
        LifespanManager(server),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=server), base_url="http://testserver"
        ) as http,
    ):
        body = {
            "merchant_id": "openapitest",
            "location_id": "1",
            "customer_id": "1",
            "line_items": [{"name": "Margherita", "quantity": 1, "item": {}}],
        }
        response = await http.post("/pos/orders", json=body, headers=DEMO)
        assert response.status_code == 201, response.text
        order_id: str = response.json()["data"]["id"]
        return order_id


def test_add_list_deliver_remove(database: str) -> None:
    with Receiver() as receiver:
        added = runner.invoke(
            app,
            [
                "unified",
                "webhook",
                "add",
                f"{receiver.url}/pos",
                *CONSUMER,
                "--type",
                "pos.order.*",
            ],
        )
        assert added.exit_code == 0, (added.output, added.stderr)
        secret = re.search(r"secret\s+(whsec_\S+)", added.output)
        webhook_id = re.search(r"webhook\s+(\d+)", added.output)
        assert secret and webhook_id, added.output
        assert "not shown again" in added.output

        order_id = asyncio.run(make_order(database))
        worked = runner.invoke(app, ["worker", "--once"])
        assert worked.exit_code == 0, worked.output
        assert "1 delivery attempt(s) made" in worked.output
        (request,) = receiver.accepted()
        body = verify(secret.group(1), request.body, request.headers["x-apideck-signature"])
        payload = body["payload"]
        assert (payload["event_type"], payload["entity_id"]) == ("pos.order.created", order_id)
        # --api-url's default: the address `make run` serves on.
        assert payload["entity_url"] == f"http://127.0.0.1:8000/pos/orders/{order_id}"

        listed = runner.invoke(app, ["unified", "webhook", "list", "--consumer", "demo-consumer"])
        assert listed.exit_code == 0, listed.output
        (row,) = [line for line in listed.output.splitlines() if f"{receiver.url}/pos" in line]
        assert re.search(r"pos\.order\.\*\s*│\s*yes\s*│\s*0\s*│\s*1\s*│\s*0", row), row
        assert secret.group(1) not in listed.output

        removed = runner.invoke(app, ["unified", "webhook", "remove", webhook_id.group(1)])
        assert removed.exit_code == 0 and "removed" in removed.output
        again = runner.invoke(app, ["unified", "webhook", "remove", webhook_id.group(1)])
        assert again.exit_code == 2
        assert "Unknown webhook" in again.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["add", "not-a-url", *CONSUMER], "URL must be an absolute http"),
        (["add", "https://e.com/h", *CONSUMER, "--type", "order.created"], "--type "),
        (["add", "https://e.com/h", *CONSUMER, "--api-url", "nowhere"], "--api-url must be"),
        (["add", "https://e.com/h", "--app", "demo-app", "--consumer", "ghost"], "No clopos"),
        (["add", "https://e.com/h", "--app", "no app!", "--consumer", "x"], "--app must be"),
        (["remove", "abc"], "WEBHOOK_ID must be a positive integer"),
        (["remove", "4242"], "Unknown webhook 4242"),
    ],
)
def test_refusals_are_one_line(database: str, args: list[str], words: str) -> None:
    result = runner.invoke(app, ["unified", "webhook", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines


def test_a_remote_consumer_has_no_event_source(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOPOS_UNIFIED_CLIENT_SECRET", "demo-secret")
    connected = runner.invoke(
        app,
        [
            "unified", "consumer", "add", "faraway", "--app", "demo-app", "--brand",
            "openapitest", "--client-id", "demo-client", "--integrator-id", "demo-integrator",
            "--base-url", "https://clopos.example.com",
        ],
    )  # fmt: skip
    assert connected.exit_code == 0, (connected.output, connected.stderr)
    refusal = runner.invoke(
        app,
        [
            "unified",
            "webhook",
            "add",
            "https://e.com/h",
            "--app",
            "demo-app",
            "--consumer",
            "faraway",
        ],
    )
    assert refusal.exit_code == 2
    assert "another server" in refusal.stderr
