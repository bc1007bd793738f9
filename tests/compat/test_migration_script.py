"""An integrify-clopos script runs unchanged after swapping its import for ``clopos.client``.

``scripts/integrify_script.py`` is written the way an integrify-clopos 0.1.0 user writes one
(token in ``headers=``, ``.ok`` checks, ``resp.body.data[0].name``, the singletons' ``urls``
patched to a local server, an async ``CloposClientClass(base_url=…, sync=False)``). It runs
twice in a subprocess, each time against a fresh ``clopos serve`` process with the same demo
data: once as written, with integrify installed, and once with only its import line changed.
Both must succeed and print the same lines, ids included.

The rest of the module checks the integrify face itself (``clopos.client.compat``) against
the shared live server: errors come back as ``ok=False`` values in integrify's error shape,
the caller's token is the one sent, every ``base_url`` form integrify users wrote works, and
each call's status and headers are its own even when threads or tasks share one client.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

import clopos.client
from clopos.client import (
    APIConnectionError,
    APIResponse,
    CloposClientClass,
    CloposError,
    RetryPolicy,
)
from clopos.client import compat as compat_module
from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_INTEGRATOR
from e2e.conftest import ServerProcess, free_port

SCRIPT = Path(__file__).parent / "scripts" / "integrify_script.py"
ORIGINAL_IMPORT = "from integrify.clopos import CloposClientClass, CloposRequest\n"
SWAPPED_IMPORT = "from clopos.client import CloposClientClass, CloposRequest\n"
SCRIPT_TIMEOUT_SECONDS = 60

V2_CREDS: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "integrator_id": DEMO_INTEGRATOR,
}
V1_CREDS: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "venue_id": 1,
}
NO_RETRY = RetryPolicy(max_attempts=1)


@pytest.fixture(autouse=True)
def _no_clopos_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's CLOPOS_* variables must not leak into these tests."""
    for name in list(os.environ):
        if name.startswith("CLOPOS_"):
            monkeypatch.delenv(name)


# ---------------------------------------------------------------------- the migrated script


def run_script(path: Path, base_url: str) -> list[str]:
    """Run ``path`` as a user would, with the credentials integrify reads from the env."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOPOS_")}
    env.update(
        CLOPOS_CLIENT_ID=DEMO_CLIENT_ID,
        CLOPOS_CLIENT_SECRET=DEMO_CLIENT_SECRET,
        CLOPOS_BRAND=DEMO_BRAND,
        CLOPOS_INTEGRATOR_ID=DEMO_INTEGRATOR,
    )
    done = subprocess.run(
        [sys.executable, str(path), f"{base_url}/open-api/v2/"],
        capture_output=True,
        text=True,
        env=env,
        timeout=SCRIPT_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 0, (
        f"{path.name} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout.splitlines()


def fresh_server(root: Path) -> ServerProcess:
    root.mkdir()
    server = ServerProcess(f"sqlite+aiosqlite:///{root / 'clopos.db'}", root)
    server.start()
    return server


@pytest.mark.e2e
def test_integrify_script_runs_unchanged_after_swapping_the_import(tmp_path: Path) -> None:
    source = SCRIPT.read_text()
    assert source.count(ORIGINAL_IMPORT) == 1
    swapped = tmp_path / "swapped_script.py"
    swapped.write_text(source.replace(ORIGINAL_IMPORT, SWAPPED_IMPORT))
    changed = [
        (old, new)
        for old, new in zip(source.splitlines(), swapped.read_text().splitlines(), strict=True)
        if old != new
    ]
    assert changed == [(ORIGINAL_IMPORT.strip(), SWAPPED_IMPORT.strip())]

    outputs: list[list[str]] = []
    for name, script in (("integrify", SCRIPT), ("clopos", swapped)):
        server = fresh_server(tmp_path / name)
        try:
            outputs.append(run_script(script, server.base_url))
        finally:
            server.stop()
    with_integrify, with_clopos = outputs

    assert with_clopos == with_integrify
    # What the script printed is the demo brand's data, not just the same nothing twice.
    assert "venues: 1 Main, 2 Airport" in with_clopos
    assert "customer groups: My Customers, VIP, Staff" in with_clopos
    assert "margherita: id 11, 8.50 AZN" in with_clopos
    assert any(line.startswith("customer ") and "Murad" in line for line in with_clopos)
    assert any(line.endswith("waiting at the till: True") for line in with_clopos)
    assert any(line.endswith("ignored: True") for line in with_clopos)
    assert with_clopos[-1].endswith("Walk-in Test, phone +994509990011")


# ----------------------------------------------------------------------- the face itself


@pytest.fixture(scope="module")
def v2_base(live_server: str) -> str:
    return f"{live_server}/open-api/v2/"


@pytest.fixture(scope="module")
def v2_token(live_server: str) -> str:
    with CloposClientClass(base_url=f"{live_server}/open-api/v2/", **V2_CREDS) as client:
        resp = client.auth()
    assert resp.ok and resp.status_code == 200
    token: str = resp.body.token
    return token


@pytest.fixture
def api(v2_base: str) -> Iterator[CloposClientClass]:
    """A v2 face with no credentials at all: only the caller's ``x-token`` can work."""
    client = CloposClientClass(base_url=v2_base, retry=NO_RETRY)
    yield client
    client.close()


def test_module_names_are_the_integrify_ones(monkeypatch: pytest.MonkeyPatch, live_server: str):
    monkeypatch.setattr(compat_module, "_SINGLETONS", {})
    monkeypatch.setenv("CLOPOS_BASE_URL", live_server)  # read on first use, not at import
    from clopos.client import CloposAsyncRequest, CloposRequest

    assert isinstance(CloposRequest, CloposClientClass) and CloposRequest.sync
    assert isinstance(CloposAsyncRequest, CloposClientClass) and not CloposAsyncRequest.sync
    assert clopos.client.CloposRequest is CloposRequest  # one shared singleton
    assert CloposRequest.urls["get_venues"] == {
        "url": "venues",
        "verb": "GET",
        "base_url": f"{live_server}/open-api/v2/",
    }
    assert CloposRequest.urls["close_receipt"]["url"] == "receipts/{id}/close"
    with pytest.raises(AttributeError):
        _ = clopos.client.CloposNoSuchThing
    with pytest.raises(AttributeError):
        _ = CloposRequest.get_no_such_thing


def test_the_callers_token_is_the_one_sent(api: CloposClientClass, v2_token: str) -> None:
    venues = api.get_venues(headers={"x-token": v2_token})
    assert isinstance(venues, APIResponse)
    assert venues.ok and venues.status_code == 200
    assert [v.name for v in venues.body.data] == ["Main", "Airport"]
    assert venues.body.total == 2
    # The answer's own headers: JSON, and v2's rate-limit report for this token.
    assert venues.headers["content-type"].startswith("application/json")
    assert "ratelimit-remaining" in venues.headers

    wrong = api.get_venues(headers={"x-token": "not-a-token"})
    assert not wrong.ok and wrong.status_code == 401
    assert wrong.body.code == "Invalid token"


def test_a_wrong_caller_token_is_not_replaced_by_a_managed_one(v2_base: str) -> None:
    """With credentials configured, a caller's bad token still comes back as the 401 it got:
    integrify never re-authenticated behind the caller's back, and neither does the face."""
    attempts: list[int | None] = []
    with CloposClientClass(
        base_url=v2_base, on_attempt=lambda a: attempts.append(a.status_code), **V2_CREDS
    ) as client:
        resp = client.get_venues(headers={"x-token": "expired-or-wrong"})
    assert (resp.ok, resp.status_code, attempts) == (False, 401, [401])


def test_http_error_is_an_ok_false_value_in_integrifys_shape(
    api: CloposClientClass, v2_token: str
) -> None:
    resp = api.get_customer_by_id(999_999, headers={"x-token": v2_token})
    assert resp.ok is False
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.body
    assert body.success is False
    assert body.code == "resource_not_found"  # the v2 string code
    assert body.message == "Customer not found"
    [item] = body.error  # integrify's list shape, so body.error[0].message keeps working
    assert (item.message, item.type, item.http_code) == (
        "Customer not found",
        "resource_not_found",
        404,
    )


def test_v1_error_list_is_kept_as_the_server_sent_it(live_server: str) -> None:
    with CloposClientClass(base_url=f"{live_server}/open-api/", **V1_CREDS) as client:
        token = client.auth().body.token
        resp = client.get_receipt_by_id(999_999, headers={"x-token": token})
    assert (resp.ok, resp.status_code) == (False, 404)
    [item] = resp.body.error
    assert item.exception == "NotFoundHttpException"
    assert item.http_code == 404
    assert resp.body.code == item.type


def test_validation_error_keeps_the_servers_details(api: CloposClientClass, v2_token: str) -> None:
    resp = api.get_venues(page=1, limit=1000, headers={"x-token": v2_token})
    assert (resp.ok, resp.status_code) == (False, 400)
    assert resp.body.code == "invalid_parameter"
    assert resp.body.details.parameter == "limit"


@pytest.mark.parametrize(
    ("suffix", "version"),
    [
        ("/open-api/v2/", "v2"),
        ("/open-api/v2", "v2"),  # integrify's urljoin dropped "v2" here; the face does not
        ("", "v2"),
        ("/", "v2"),
        ("/open-api/", "v1"),
        ("/open-api", "v1"),
    ],
)
def test_every_base_url_form_reaches_the_right_api(
    live_server: str, suffix: str, version: str
) -> None:
    creds = V2_CREDS if version == "v2" else V1_CREDS
    with CloposClientClass(base_url=live_server + suffix, **creds) as client:
        assert client.version == version
        root = "/open-api/v2/" if version == "v2" else "/open-api/"
        assert client.urls["get_venues"]["base_url"] == live_server + root
        resp = client.get_venues()  # no headers: the SDK manages the token itself
    assert resp.ok, resp.body
    assert [v.id for v in resp.body.data] == [1, 2]


def test_v1_face_has_the_0_0_1_receipt_routes(live_server: str) -> None:
    with CloposClientClass(base_url=f"{live_server}/open-api/", **V1_CREDS) as client:
        assert client.urls["close_receipt"] == {
            "url": "receipts/{id}",
            "verb": "PUT",
            "base_url": f"{live_server}/open-api/",
        }
        assert {"create_receipt", "update_receipt", "delete_receipt"} <= set(client.urls)
        assert "get_receipt_stock_operations" not in client.urls


def test_patching_a_routes_base_url_moves_only_that_route(live_server: str, v2_token: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}/open-api/v2/"
    client = CloposClientClass(base_url=dead, retry=NO_RETRY)
    client.urls["get_venues"]["base_url"] = f"{live_server}/open-api/v2/"
    try:
        assert client.get_venues(headers={"x-token": v2_token}).ok
        with pytest.raises(APIConnectionError):  # integrify leaked httpx.ConnectError here
            client.get_users(headers={"x-token": v2_token})
    finally:
        client.close()


def test_positional_arguments_follow_integrifys_order(
    api: CloposClientClass, v2_token: str
) -> None:
    headers = {"x-token": v2_token}
    page = api.get_venues(2, 1, headers=headers)  # page, limit
    assert [v.id for v in page.body.data] == [2]
    customer = api.get_customer_by_id(3, headers=headers)
    assert customer.body.data.name == "Murad Hasanov"
    with pytest.raises(TypeError, match="at most 2 positional"):
        api.get_venues(1, 2, 3, headers=headers)
    with pytest.raises(TypeError, match="multiple values"):
        api.get_venues(1, page=1, headers=headers)


def test_integrify_enums_are_sent_as_their_values(api: CloposClientClass, v2_token: str) -> None:
    from integrify.clopos.schemas.enums import ProductType

    headers = {"x-token": v2_token}
    by_enum = api.get_products(limit=50, filters={"type": [ProductType.DISH]}, headers=headers)
    by_text = api.get_products(limit=50, filters={"type": ["DISH"]}, headers=headers)
    assert by_enum.ok and by_text.ok
    assert by_enum.body.total == by_text.body.total == 19


def test_async_face_returns_coroutines_and_each_call_keeps_its_own_answer(
    v2_base: str, v2_token: str
) -> None:
    headers = {"x-token": v2_token}

    async def run() -> list[APIResponse[Any]]:
        async with CloposClientClass(base_url=v2_base, sync=False) as client:
            pending = client.get_venues(headers=headers)
            assert asyncio.iscoroutine(pending)
            first = await pending
            rest = await asyncio.gather(
                *(
                    client.get_customer_by_id(999_999 if n % 2 else n + 1, headers=headers)
                    for n in range(10)
                )
            )
            return [first, *rest]

    first, *rest = asyncio.run(run())
    assert first.ok
    assert [r.status_code for r in rest] == [404 if n % 2 else 200 for n in range(10)]
    assert all(r.body.data.id == n + 1 for n, r in enumerate(rest) if n % 2 == 0)


def test_threads_sharing_one_face_each_get_their_own_status(
    api: CloposClientClass, v2_token: str
) -> None:
    headers = {"x-token": v2_token}

    def call(n: int) -> int:
        return api.get_customer_by_id(999_999 if n % 3 == 0 else n, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(call, range(1, 19)))
    assert statuses == [404 if n % 3 == 0 else 200 for n in range(1, 19)]


def test_unsupported_and_bad_settings_fail_loudly() -> None:
    with pytest.raises(CloposError, match="dry=True is not supported"):
        CloposClientClass(dry=True)
    with pytest.raises(CloposError, match="absolute http"):
        CloposClientClass(base_url="localhost:8000/open-api/v2/")


def test_an_injected_http_client_still_reports_status_and_headers(v2_base: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"x-request-id": "r-1"}, text="<html>down</html>")

    http = httpx.Client(transport=httpx.MockTransport(answer))
    face = CloposClientClass(base_url=v2_base, http_client=http, retry=NO_RETRY)
    resp = face.get_venues(headers={"x-token": "t"})
    http.close()
    assert (resp.ok, resp.status_code, resp.headers["x-request-id"]) == (False, 503, "r-1")
    assert resp.body.message == "<html>down</html>"
    assert resp.body.error[0].http_code == 503


def test_integrify_input_models_are_sent_as_plain_bodies(
    api: CloposClientClass, v2_token: str
) -> None:
    from integrify.clopos.schemas.orders.object import OrderPayloadIn

    headers = {"x-token": v2_token}
    sale_types = api.get_sale_types(headers=headers).body.data
    takeaway = next(s for s in sale_types if s.name == "Takeaway")
    payload = OrderPayloadIn.model_validate(
        {
            "service": {
                "sale_type_id": takeaway.id,
                "sale_type_name": takeaway.name,
                "venue_id": 1,
                "venue_name": "Main",
            },
            "customer": {"id": 3, "name": "Murad Hasanov"},
            "products": [{"product_id": 11, "count": 2}],
        }
    )
    resp = api.create_order(3, payload, headers=headers)  # customer_id, payload: positional
    assert resp.ok, resp.body
    order = resp.body.data
    assert order.status == "PENDING"
    assert [(p.product_id, p.count) for p in order.payload.products] == [(11, 2)]
    assert order.payload.customer.name == "Murad Hasanov"


def test_auth_refused_with_200_is_not_ok(v2_base: str) -> None:
    """/v2/auth answers a test/production mismatch with HTTP 200 and ``success: false``
    (spec §3.4). integrify reported ``ok=True`` there; the face reports the failure."""
    refusal = {"success": False, "error": "Integrator mode mismatch", "message": "Use a test brand"}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=refusal)

    http = httpx.Client(transport=httpx.MockTransport(answer))
    face = CloposClientClass(base_url=v2_base, http_client=http, retry=NO_RETRY, **V2_CREDS)
    resp = face.auth()
    http.close()
    assert (resp.ok, resp.status_code) == (False, 200)
    assert resp.body.code == "Integrator mode mismatch"
    assert resp.body.error[0].message == "Use a test brand"
