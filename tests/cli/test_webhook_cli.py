"""``clopos webhook add/list/remove`` and ``clopos worker --once`` on a temporary SQLite
database holding the demo brand, delivering to a real HTTP receiver on 127.0.0.1.

A refused command exits 2 with one ``error: …`` line on stderr.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clopos.cli import app
from clopos.client.webhooks import verify_signature
from webhook_receiver import Receiver

runner = CliRunner()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [n for n in os.environ if n.startswith("CLOPOS_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "hooks.db"
    monkeypatch.setenv("CLOPOS_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("CLOPOS_SECRET_HASH_N", "256")
    seeded = runner.invoke(app, ["demo", "seed"])
    assert seeded.exit_code == 0, seeded.output
    return path


def test_add_list_deliver_remove(database: Path) -> None:
    with Receiver() as receiver:
        added = runner.invoke(
            app, ["webhook", "add", f"{receiver.url}/stock", "--type", "stop_list.*"]
        )
        assert added.exit_code == 0, added.output
        secret = re.search(r"secret\s+(whsec_\S+)", added.output)
        webhook_id = re.search(r"webhook\s+(\d+)", added.output)
        assert secret and webhook_id, added.output
        assert "not shown again" in added.output

        # The till's stop-list command records an event; the worker sends it.
        stopped = runner.invoke(app, ["till", "stop", "11", "--venue", "1", "--limit", "0"])
        assert stopped.exit_code == 0, stopped.output
        worked = runner.invoke(app, ["worker", "--once"])
        assert worked.exit_code == 0, worked.output
        assert "1 delivery attempt(s) made" in worked.output
        (request,) = receiver.accepted()
        event = verify_signature(request.body, request.headers, secret.group(1))
        assert event["type"] == "stop_list.changed"
        assert (event["data"]["id"], event["data"]["limit"], event["venue_id"]) == (11, 0, 1)

        listed = runner.invoke(app, ["webhook", "list"])
        assert listed.exit_code == 0
        (row,) = [line for line in listed.output.splitlines() if f"{receiver.url}/stock" in line]
        assert re.search(r"stop_list\.\*\s*│\s*yes\s*│\s*0\s*│\s*1\s*│\s*0", row), row
        assert secret.group(1) not in listed.output

        removed = runner.invoke(app, ["webhook", "remove", webhook_id.group(1)])
        assert removed.exit_code == 0 and "removed" in removed.output
        again = runner.invoke(app, ["webhook", "remove", webhook_id.group(1)])
        assert again.exit_code == 2
        assert "no webhook" in again.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["webhook", "add", "not-a-url"], "URL must be an absolute http"),
        (["webhook", "add", "https://example.com", "--type", "order.made"], "not an event type"),
        (["webhook", "add", "https://example.com", "--brand", "nobody"], "no brand 'nobody'"),
        (["webhook", "remove", "abc"], "WEBHOOK_ID must be a positive integer"),
        (["webhook", "list", "--brand", "nobody"], "no brand 'nobody'"),
    ],
)
def test_refusals_are_one_line(database: Path, args: list[str], words: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], lines
