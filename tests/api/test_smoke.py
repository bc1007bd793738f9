"""First end-to-end checks through the ASGI app: auth and one catalog list on both prefixes."""

from __future__ import annotations

import httpx


async def test_venues_listed_with_envelope(
    client: httpx.AsyncClient, api: tuple[str, dict[str, str]]
) -> None:
    prefix, headers = api
    response = await client.get(f"{prefix}/venues", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert [v["id"] for v in body["data"]] == [1, 2]
    assert body["data"][0]["name"] == "Main"
    assert body["total"] == 2
    assert set(body) >= {"success", "data", "total", "time", "timestamp", "unix", "sorts"}
