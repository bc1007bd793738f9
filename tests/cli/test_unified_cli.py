"""``clopos unified …`` against a temporary SQLite database, and the two servers for real.

Commands run in-process through typer's CliRunner (real exit codes, stdout and stderr
apart). A refused command must exit 2 with exactly one ``error: …`` line on stderr. The
last tests start real ``clopos serve --seed-demo`` and ``clopos unified serve --upstream``
processes and check what a newcomer sees and that the standalone layer reaches its upstream.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

from clopos.cli import app

FAST_HASH_N = "256"
SECRET_ENV = "CLOPOS_UNIFIED_CLIENT_SECRET"
KEY_A = "cli-key-a-0123456789"
KEY_B = "cli-key-b-0123456789"
CLOPOS = Path(sys.executable).parent / "clopos"
runner = CliRunner()


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A not-yet-created SQLite file, named by CLOPOS_DATABASE_URL for every command."""
    for name in [n for n in os.environ if n.startswith("CLOPOS_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "unified.db"
    monkeypatch.setenv("CLOPOS_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("CLOPOS_SECRET_HASH_N", FAST_HASH_N)
    return path


def run(*args: str, input: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=input)


def ok(*args: str, input: str | None = None) -> Result:
    result = run(*args, input=input)
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result


def refused(*args: str, input: str | None = None) -> str:
    """Run a command that must be refused; its single stderr line."""
    result = run(*args, input=input)
    assert isinstance(result.exception, SystemExit), (result.exception, result.stderr)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


def query(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


def secret_cell(listing: str, consumer_id: str) -> str:
    """The last column ("secret") of the consumer's row in ``consumer list``."""
    row = next(line for line in listing.splitlines() if f" {consumer_id} " in line)
    cells = [cell.strip() for cell in row.split("│") if cell.strip()]
    return cells[-1]


CONSUMER = [
    "unified",
    "consumer",
    "add",
    "cafe-1",
    "--app",
    "shop-app",
    "--brand",
    "openapitest",
    "--client-id",
    "demo-client",
    "--integrator-id",
    "demo-integrator",
]


# --- apps -------------------------------------------------------------------------------------


def test_app_add_prints_the_key_once(db_path: Path) -> None:
    result = ok("unified", "app", "add", "shop-app", "--name", "Shop")
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines() if "  " in line)
    key = lines["api_key"].strip()
    assert key.startswith("ukey_")
    assert "not shown again" in result.stdout
    stored = query(db_path, "SELECT app_id, name, api_key_hash FROM unified_apps")
    assert ("shop-app", "Shop") in [(row[0], row[1]) for row in stored]
    assert all(key not in str(row) for row in stored)

    listed = ok("unified", "app", "list").stdout
    assert "shop-app" in listed and "Shop" in listed
    assert key not in listed

    assert (
        refused("unified", "app", "add", "shop-app")
        == "error: Application 'shop-app' already exists"
    )
    assert refused("unified", "app", "add", "no spaces").startswith("error: --app must be")


# --- consumers --------------------------------------------------------------------------------


def test_consumer_add_list_remove(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok("unified", "app", "add", "shop-app")
    monkeypatch.setenv(SECRET_ENV, "env-secret-value")
    added = ok(*CONSUMER, "--venue", "2")
    assert "consumer cafe-1 of app shop-app connected" in added.stdout
    assert "env-secret-value" not in added.output + added.stderr
    rows = query(db_path, "SELECT * FROM unified_connections WHERE consumer_id = 'cafe-1'")
    assert len(rows) == 1 and "env-secret-value" not in str(rows[0])

    listed = ok("unified", "consumer", "list").stdout
    line = next(row for row in listed.splitlines() if "cafe-1" in row)
    for cell in ("shop-app", "self", "v2", "openapitest", "demo-integrator", "demo-client", "ok"):
        assert cell in line, (cell, line)
    assert "env-secret-value" not in listed
    only_shop = ok("unified", "consumer", "list", "--app", "shop-app").stdout
    assert "cafe-1" in only_shop and "demo-consumer" not in only_shop

    assert "already has a clopos connection" in refused(*CONSUMER)
    replaced = ok(*CONSUMER, "--base-url", "https://clopos.example.com/", "--replace")
    assert "replaced" in replaced.stdout and "https://clopos.example.com" in replaced.stdout
    assert query(
        db_path, "SELECT base_url FROM unified_connections WHERE consumer_id = 'cafe-1'"
    ) == [("https://clopos.example.com",)]

    removed = ok("unified", "consumer", "remove", "cafe-1", "--app", "shop-app")
    assert "removed" in removed.stdout
    assert query(
        db_path, "SELECT count(*) FROM unified_connections WHERE consumer_id = 'cafe-1'"
    ) == [(0,)]
    line = refused("unified", "consumer", "remove", "cafe-1", "--app", "shop-app")
    assert line == "error: No clopos connection for consumer 'cafe-1' of application 'shop-app'"


def test_secret_from_a_pipe(db_path: Path) -> None:
    # Not a terminal (a pipe, as here): the first line of stdin, no prompt.
    ok("unified", "app", "add", "shop-app")
    result = ok(*CONSUMER, input="piped-secret-value\nignored\n")
    assert "piped-secret-value" not in result.stdout + result.stderr
    assert "connected" in result.stdout
    rows = query(db_path, "SELECT client_secret_encrypted FROM unified_connections")
    assert all("piped-secret-value" not in str(row) for row in rows)


def test_no_secret_is_a_one_line_error(db_path: Path) -> None:
    ok("unified", "app", "add", "shop-app")
    line = refused(*CONSUMER, input="")
    assert line == (
        f"error: no client secret: set {SECRET_ENV}, type it at the prompt or pipe it in"
    )
    assert refused(*CONSUMER, input="   \n").startswith("error: the client secret")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--api-version", "v3"], "error: --api-version must be 'v1' or 'v2'"),
        (["--venue", "abc"], "error: --venue must be a positive integer"),
        (["--base-url", "ftp://example.com"], "error: --base-url must be 'self' or an http(s) URL"),
        (["--api-version", "v1"], None),  # v1 needs --venue
    ],
)
def test_bad_options_are_refused_before_the_secret_is_asked(
    db_path: Path, extra: list[str], message: str | None
) -> None:
    # No secret anywhere: a bad option must be reported, not the missing secret.
    line = refused(*CONSUMER, *extra, input="")
    if message is None:
        assert line == "error: --venue is required"
    else:
        assert line.startswith(message), line


def test_v2_needs_an_integrator_and_the_app_must_exist(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, "s")
    without_integrator = [
        arg for arg in CONSUMER if arg not in ("--integrator-id", "demo-integrator")
    ]
    assert refused(*without_integrator) == "error: --integrator-id is required"
    line = refused(*CONSUMER)
    assert line.startswith("error: --app names no application ('shop-app')"), line


def test_wrong_secret_key_shows_in_the_list(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOPOS_SECRET_KEY", KEY_A)
    monkeypatch.setenv(SECRET_ENV, "s")
    ok("unified", "app", "add", "shop-app")
    ok(*CONSUMER)
    assert secret_cell(ok("unified", "consumer", "list").stdout, "cafe-1") == "ok"
    monkeypatch.setenv("CLOPOS_SECRET_KEY", KEY_B)
    secret = secret_cell(ok("unified", "consumer", "list").stdout, "cafe-1")
    assert secret == "unreadable (wrong CLOPOS_SECRET_KEY?)"
    monkeypatch.setenv("CLOPOS_SECRET_KEY", "short")
    line = refused("unified", "consumer", "list")
    assert line.startswith("error: invalid CLOPOS_SECRET_KEY:") and "16 characters" in line


def test_unified_serve_needs_an_http_upstream(db_path: Path) -> None:
    for upstream in ("self", "nope", "ftp://x"):
        line = refused("unified", "serve", "--upstream", upstream)
        assert line.startswith("error: --upstream must be an http(s) URL"), line


def test_demo_seed_prints_the_unified_demo(db_path: Path) -> None:
    output = ok("demo", "seed").stdout
    rows = dict(
        line.split(None, 1) for line in output.splitlines() if line.strip().startswith("unified_")
    )
    assert {k: v.strip() for k, v in rows.items()} == {
        "unified_api_key": "demo-unified-key",
        "unified_app_id": "demo-app",
        "unified_consumer_id": "demo-consumer",
    }
    listed = ok("unified", "consumer", "list").stdout
    line = next(r for r in listed.splitlines() if "demo-consumer" in r)
    for cell in ("demo-app", "self", "openapitest", "demo-integrator", "demo-client", "ok"):
        assert cell in line


# --- real processes ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOPOS_")}
    env.update(
        CLOPOS_DATABASE_URL=f"sqlite+aiosqlite:///{db_path}",
        CLOPOS_SECRET_HASH_N=FAST_HASH_N,
        CLOPOS_ADMIN_TOKEN="admin-token",
        NO_COLOR="1",
        COLUMNS="200",
    )
    return env


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _start(
    started: list[subprocess.Popen[bytes]],
    args: list[str],
    env: dict[str, str],
    log: Path,
    port: int,
) -> None:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(CLOPOS), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    started.append(process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{args} exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{args} did not answer /health:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=15)


@pytest.mark.e2e
def test_serve_prints_the_curl_and_unified_serve_reaches_its_upstream(
    tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    db = tmp_path / "both.db"
    env = _env(db)
    upstream_port, unified_port = _free_port(), _free_port()
    serve_log, unified_log = tmp_path / "serve.log", tmp_path / "unified.log"
    _start(
        processes,
        ["serve", "--seed-demo", "--port", str(upstream_port)],
        env,
        serve_log,
        upstream_port,
    )
    printed = serve_log.read_text()
    base = f"http://127.0.0.1:{upstream_port}"
    assert (
        "curl -H 'Authorization: Bearer demo-unified-key' -H 'x-apideck-app-id: demo-app' "
        f"-H 'x-apideck-consumer-id: demo-consumer' {base}/pos/orders"
    ) in printed
    assert "CLOPOS_SECRET_KEY is unset" in printed  # the development-key warning

    # The standalone layer on the same database: "self" now means --upstream.
    _start(
        processes,
        ["unified", "serve", "--upstream", base, "--port", str(unified_port)],
        env,
        unified_log,
        unified_port,
    )
    unified = f"http://127.0.0.1:{unified_port}"
    health = httpx.get(f"{unified}/health").json()
    assert health["upstream"] == base
    checked = httpx.post(
        f"{unified}/pos/admin/consumers/demo-consumer/check?app_id=demo-app",
        headers={"Authorization": "Bearer admin-token"},
        timeout=30,
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["data"]["venue_ids"] == [1, 2]
    # A unified call through the standalone layer, as the newcomer's curl does.
    demo = {
        "Authorization": "Bearer demo-unified-key",
        "x-apideck-app-id": "demo-app",
        "x-apideck-consumer-id": "demo-consumer",
    }
    orders = httpx.get(f"{unified}/pos/orders?limit=2", headers=demo, timeout=30)
    assert orders.status_code == 200, orders.text
    assert orders.json()["service"] == "clopos" and len(orders.json()["data"]) == 2
    direct = httpx.get(f"{base}/pos/orders?limit=2", headers=demo, timeout=30)
    assert [o["id"] for o in direct.json()["data"]] == [o["id"] for o in orders.json()["data"]]
    # The standalone app has no Open API of its own.
    missing = httpx.get(f"{unified}/open-api/v2/venues")
    assert missing.status_code == 404
    assert missing.json()["status_code"] == 404 and "type_name" in missing.json()

    for process in processes:
        assert _stop(process) in (0, -signal.SIGTERM)
    assert "Traceback" not in serve_log.read_text() + unified_log.read_text()
