"""The ``clopos`` command line against a temporary SQLite database.

Commands run in-process through typer's CliRunner (fast, real exit codes, stdout and stderr
apart); one test runs the installed script to show what a person sees on bad input. A
refused command must exit 2 with exactly one ``error: …`` line on stderr; CliRunner reports
any escaped exception as ``result.exception``, which is how "no traceback" is checked.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from click.testing import Result
from typer.testing import CliRunner

from clopos.cli import app
from clopos.server.app import create_app
from clopos.settings import Settings

FAST_HASH_N = 256
runner = CliRunner()


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A not-yet-created SQLite file, named by CLOPOS_DATABASE_URL for every command."""
    # Drop inherited CLOPOS_* values (a developer's shell, CI) so only ours apply.
    for name in [n for n in os.environ if n.startswith("CLOPOS_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "cli.db"
    monkeypatch.setenv("CLOPOS_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("CLOPOS_SECRET_HASH_N", str(FAST_HASH_N))
    return path


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def ok(*args: str) -> str:
    """Run a command that must succeed; its stdout."""
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result.stdout


def refused(*args: str) -> str:
    """Run a command that must be refused; its single stderr line."""
    result = run(*args)
    # SystemExit(2) is typer.Exit(2); any other exception would have been a traceback.
    assert isinstance(result.exception, SystemExit), (result.exception, result.stderr)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


def query(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


# --- db upgrade and demo seed -------------------------------------------------------------


def test_db_upgrade_creates_schema_and_is_idempotent(db_path: Path) -> None:
    first = ok("db", "upgrade")
    assert "is up to date" in first
    assert str(db_path) in first
    revision = query(db_path, "SELECT version_num FROM alembic_version")
    assert len(revision) == 1
    tables = {row[0] for row in query(db_path, "SELECT name FROM sqlite_master")}
    assert {"brands", "api_clients", "customers", "products"} <= tables

    assert "is up to date" in ok("db", "upgrade")
    assert query(db_path, "SELECT version_num FROM alembic_version") == revision


def _demo_credentials(output: str) -> dict[str, str]:
    rows = dict(re.findall(r"^\s*(\w+)\s{2,}(.+?)\s*$", output, flags=re.MULTILINE))
    return {k: rows[k] for k in ("brand", "integrator_id", "client_id", "client_secret", "venues")}


def test_demo_seed_is_idempotent_and_prints_credentials(db_path: Path) -> None:
    first = ok("demo", "seed")
    assert "demo brand openapitest created" in first
    expected = {
        "brand": "openapitest",
        "integrator_id": "demo-integrator",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "venues": "1, 2",
    }
    assert _demo_credentials(first) == expected
    customers = query(db_path, "SELECT count(*) FROM customers")[0][0]
    assert customers == 22

    second = ok("demo", "seed")
    assert "demo brand openapitest already present" in second
    assert _demo_credentials(second) == expected
    assert query(db_path, "SELECT count(*) FROM brands") == [(1,)]
    assert query(db_path, "SELECT count(*) FROM customers") == [(customers,)]


# --- brands ------------------------------------------------------------------------------


def test_brand_create_then_list(db_path: Path) -> None:
    created = ok("brand", "create", "mycafe", "--production", "--venue", "Main", "--venue", "Patio")
    assert created.strip() == "created production brand mycafe with venues 1, 2"
    assert query(db_path, "SELECT name, is_main FROM venues ORDER BY id") == [
        ("Main", 1),
        ("Patio", 0),
    ]

    listing = ok("brand", "list")
    row = next(line for line in listing.splitlines() if "mycafe" in line)
    # One line per brand even when piped: slug, display name (defaults to the slug),
    # mode and venues with their ids.
    cells = [c.strip() for c in re.split(r"[│|]", row) if c.strip()]
    assert cells == ["mycafe", "mycafe", "production", "1 Main, 2 Patio"]


def test_brand_list_does_not_wrap_long_rows_when_piped(db_path: Path) -> None:
    name = "A rather long display name for a cafe with several venues"
    ok("brand", "create", "longcafe", "--name", name, "--venue", "Downtown", "--venue", "Airport")
    rows = [line for line in ok("brand", "list").splitlines() if "longcafe" in line]
    assert len(rows) == 1
    assert name in rows[0]
    assert "1 Downtown, 2 Airport" in rows[0]


def test_brand_names_are_printed_literally(db_path: Path) -> None:
    """Rich markup in user input is shown, not interpreted."""
    ok("brand", "create", "markup", "--name", "[bold]Cafe[/bold] [1]")
    assert "[bold]Cafe[/bold] [1]" in ok("brand", "list")


def test_brand_defaults_to_production_with_one_main_venue(db_path: Path) -> None:
    assert ok("brand", "create", "cafe").strip() == "created production brand cafe with venues 1"
    assert ok("brand", "create", "sandbox", "--test").strip() == (
        "created test brand sandbox with venues 2"
    )
    assert query(db_path, "SELECT slug, is_test FROM brands ORDER BY id") == [
        ("cafe", 0),
        ("sandbox", 1),
    ]
    assert query(db_path, "SELECT name, is_main FROM venues ORDER BY id") == [
        ("Main", 1),
        ("Main", 1),
    ]


def test_duplicate_brand_is_refused(db_path: Path) -> None:
    ok("brand", "create", "mycafe", "--production")
    assert refused("brand", "create", "mycafe") == "error: brand 'mycafe' already exists"
    assert query(db_path, "SELECT count(*) FROM brands") == [(1,)]


@pytest.mark.parametrize("slug", ["My Cafe", "-cafe", "café", "cafe!", "a" * 65, "MYCAFE"])
def test_bad_slug_is_refused(db_path: Path, slug: str) -> None:
    line = refused("brand", "create", "--", slug)  # "--": "-cafe" is not an option
    assert "slug must be lowercase letters, digits" in line
    assert not db_path.exists()  # refused before touching the database


def test_empty_venue_name_is_refused(db_path: Path) -> None:
    assert refused("brand", "create", "mycafe", "--venue", " ") == (
        "error: venue names must not be empty"
    )


# --- integrators and clients ---------------------------------------------------------------


def test_integrator_create(db_path: Path) -> None:
    out = ok("integrator", "create", "partner-x", "--production")
    assert out.strip() == "created production integrator partner-x"
    assert ok("integrator", "create", "sandbox-x").strip() == "created test integrator sandbox-x"
    assert query(db_path, "SELECT integrator_id, is_test FROM integrators ORDER BY id") == [
        ("partner-x", 0),
        ("sandbox-x", 1),
    ]
    assert refused("integrator", "create", "partner-x") == (
        "error: integrator 'partner-x' already exists"
    )


async def _check_credentials(database_url: str, secret: str) -> None:
    """The CLI-issued secret works against the server, in-process."""
    settings = Settings(database_url=database_url, secret_hash_n=FAST_HASH_N, redis_url=None)
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            credentials = {"client_id": "mycafe-app", "client_secret": secret, "brand": "mycafe"}
            auth = await http.post(
                "/open-api/v2/auth", json={**credentials, "integrator_id": "partner-x"}
            )
            assert auth.status_code == 200, auth.text
            assert auth.json()["success"] is True
            headers = {"x-token": auth.json()["token"]}
            venues = await http.get("/open-api/v2/venues", headers=headers)
            assert venues.status_code == 200, venues.text
            assert [(v["id"], v["name"], v["is_main"]) for v in venues.json()["data"]] == [
                (1, "Main", 1),
                (2, "Patio", 0),
            ]

            # v1 takes the same credentials with a venue of the brand.
            v1 = await http.post("/open-api/auth", json={**credentials, "venue_id": "2"})
            assert v1.status_code == 200, v1.text
            assert v1.json()["success"] is True

            # A test integrator cannot reach a production brand (spec §3.4: 200, success false).
            sandbox = await http.post(
                "/open-api/v2/auth", json={**credentials, "integrator_id": "sandbox-x"}
            )
            assert sandbox.status_code == 200, sandbox.text
            assert sandbox.json()["success"] is False

            wrong = await http.post(
                "/open-api/v2/auth",
                json={**credentials, "client_secret": secret + "x", "integrator_id": "partner-x"},
            )
            assert wrong.status_code == 401, wrong.text


def test_client_secret_is_printed_once_and_authenticates(db_path: Path) -> None:
    ok("brand", "create", "mycafe", "--production", "--venue", "Main", "--venue", "Patio")
    ok("integrator", "create", "partner-x", "--production")
    ok("integrator", "create", "sandbox-x", "--test")

    out = ok("client", "create", "--brand", "mycafe", "--client-id", "mycafe-app")
    printed = dict(re.findall(r"^(client_id|client_secret)\s+(\S+)$", out, flags=re.MULTILINE))
    assert printed["client_id"] == "mycafe-app"
    secret = printed["client_secret"]
    assert len(secret) >= 32
    assert "not shown again" in out

    # Stored only hashed, and never printed again.
    stored = query(db_path, "SELECT secret_hash FROM api_clients WHERE client_id='mycafe-app'")
    assert len(stored) == 1
    assert secret not in str(stored[0][0])
    listing = ok("brand", "list")
    assert "mycafe-app" in listing
    assert secret not in listing

    asyncio.run(_check_credentials(f"sqlite+aiosqlite:///{db_path}", secret))


def test_duplicate_client_is_refused(db_path: Path) -> None:
    ok("brand", "create", "mycafe")
    ok("client", "create", "--brand", "mycafe", "--client-id", "mycafe-app")
    line = refused("client", "create", "--brand", "mycafe", "--client-id", "mycafe-app")
    assert line == "error: client 'mycafe-app' already exists"


def test_client_for_unknown_brand_is_refused(db_path: Path) -> None:
    line = refused("client", "create", "--brand", "nope", "--client-id", "x")
    assert line == "error: no brand 'nope'; see `clopos brand list`"
    assert query(db_path, "SELECT count(*) FROM api_clients") == [(0,)]


# --- bad configuration ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "CLOPOS_DATABASE_URL is not a database URL"),
        ("sqlite:///plain.db", "CLOPOS_DATABASE_URL names no async driver"),
        ("sqlite+aiosqlite:////nonexistent-dir/x.db", "no directory /nonexistent-dir"),
        (
            "postgresql+asyncpg://u:hunter2@127.0.0.1:1/x",
            "cannot migrate postgresql+asyncpg://u:***@",
        ),
    ],
)
@pytest.mark.parametrize("command", [("db", "upgrade"), ("demo", "seed"), ("brand", "list")])
def test_bad_database_url_is_one_line(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, says: str, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("CLOPOS_DATABASE_URL", url)
    line = refused(*command)
    assert says in line
    assert "hunter2" not in line  # passwords are masked


def test_bad_setting_names_the_variable(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOPOS_TOKEN_TTL_SECONDS", "soon")
    line = refused("db", "upgrade")
    assert line.startswith("error: invalid CLOPOS_TOKEN_TTL_SECONDS: ")


def test_installed_script_prints_no_traceback(tmp_path: Path) -> None:
    """What a person sees: the real `clopos` script, its exit code and its stderr."""
    clopos = Path(sys.executable).parent / "clopos"
    result = subprocess.run(
        [str(clopos), "brand", "list"],
        env={"PATH": "/usr/bin:/bin", "CLOPOS_DATABASE_URL": "garbage"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: CLOPOS_DATABASE_URL is not a database URL")
