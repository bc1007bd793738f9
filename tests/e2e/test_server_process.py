"""End to end: the real ``clopos serve`` process over TCP, stopped and started again.

What only a real process shows: the script starts (migrating and seeding an empty
database), prints the demo credentials ``make run`` promises, answers plain HTTP, stops
cleanly on SIGTERM, and after a restart on the same database still honours a token issued
before the restart (the JWT key is persisted, not regenerated) and still has the data.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from .conftest import CLOPOS, ServerProcess, server_env

pytestmark = pytest.mark.e2e

DEMO_V2_AUTH = {
    "client_id": "demo-client",
    "client_secret": "demo-secret",
    "brand": "openapitest",
    "integrator_id": "demo-integrator",
}


def _authenticate(server: ServerProcess) -> str:
    response = httpx.post(f"{server.base_url}/open-api/v2/auth", json=DEMO_V2_AUTH, timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["token_type"] == "Bearer"
    token: str = body["token"]
    return token


def _assert_startup_output(output: str, server: ServerProcess, *, seeded: str) -> None:
    """The lines `make run` shows: base URLs and the demo credentials to paste."""
    assert f"demo brand openapitest {seeded}" in output, output
    for credential in ("openapitest", "demo-integrator", "demo-client", "demo-secret"):
        assert credential in output, output
    assert f"serving on {server.base_url}" in output, output
    assert f"{server.base_url}/open-api/v2/" in output, output
    assert f"{server.base_url}/docs" in output, output
    assert "Traceback" not in output, output


def test_customer_and_token_survive_a_restart(
    serve: Callable[[str], ServerProcess], empty_database_url: str
) -> None:
    server = serve(empty_database_url)
    _assert_startup_output(server.output(), server, seeded="created")

    token = _authenticate(server)
    headers = {"x-token": token}
    # A phone no demo customer has, unique per run (phone is unique, spec §9.6).
    phone = f"+99450{uuid.uuid4().int % 10**7:07d}"
    created = httpx.post(
        f"{server.base_url}/open-api/v2/customers",
        json={"name": "E2E Restart Customer", "phone": phone},
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["success"] is True
    customer = body["data"]
    assert isinstance(customer["id"], int)
    assert customer["name"] == "E2E Restart Customer"

    server.stop()
    # The port is closed while the process is down: nothing else answered for it.
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base_url}/health", timeout=1)

    server.start()
    _assert_startup_output(server.output(), server, seeded="already present")
    # The token from before the restart: the JWT key lives in the database.
    again = httpx.get(
        f"{server.base_url}/open-api/v2/customers/{customer['id']}", headers=headers, timeout=10
    )
    assert again.status_code == 200, again.text
    found = again.json()["data"]
    assert found["id"] == customer["id"]
    assert found["name"] == "E2E Restart Customer"
    assert found["phone"] == customer["phone"]

    # The demo catalog was seeded once, not twice, by the two --seed-demo starts.
    venues = httpx.get(f"{server.base_url}/open-api/v2/venues", headers=headers, timeout=10)
    assert venues.status_code == 200, venues.text
    assert [v["id"] for v in venues.json()["data"]] == [1, 2]
    server.stop()


def test_unknown_route_is_json_404_over_tcp(
    serve: Callable[[str], ServerProcess], tmp_path: Path
) -> None:
    server = serve(f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}")
    response = httpx.get(f"{server.base_url}/open-api/v2/nope", timeout=10)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["success"] is False
    server.stop()


def test_serve_with_workers_needs_redis(tmp_path: Path) -> None:
    """Several workers without a shared rate-limit store is refused up front (spec §8)."""
    result = subprocess.run(
        [str(CLOPOS), "serve", "--workers", "2", "--port", "1"],
        env=server_env(f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "CLOPOS_REDIS_URL" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    # Refused before touching the database.
    assert not (tmp_path / "e2e.db").exists()
