"""A real server over TCP for the compatibility tests.

The existing ``integrify-clopos`` client builds its own ``httpx.Client`` and cannot be
pointed at an ASGI transport, so these tests need a listening socket: uvicorn serves
``create_app(settings)`` from a background thread on a free port of 127.0.0.1, over a
temporary SQLite database that is migrated and demo-seeded once for the whole session.
The compat tests only read (plus one customer create with a unique phone), so one shared
server is safe and keeps them fast.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from clopos.server.app import create_app
from clopos.server.demo import seed_demo
from clopos.server.store.db import create_engine, session_factory
from clopos.server.store.migrate import upgrade
from clopos.settings import Settings

# scrypt cost for the demo client's secret: the production cost would make auth slow.
FAST_HASH_N = 2**8
STARTUP_TIMEOUT_SECONDS = 15.0


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            await seed_demo(session, hash_n=FAST_HASH_N)
    finally:
        await engine.dispose()


def _free_socket() -> socket.socket:
    """A socket bound to a free port of 127.0.0.1, handed to uvicorn as is (no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``, no trailing slash) of a running server."""
    path: Path = tmp_path_factory.mktemp("compat") / "clopos.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    asyncio.run(_seed(url))
    settings = Settings(database_url=url, secret_hash_n=FAST_HASH_N, redis_url=None)

    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="compat-uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the compat server did not start; see the uvicorn log above")
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def http(live_server: str) -> Iterator[httpx.Client]:
    """A plain httpx client on the live server, for raw wire checks."""
    with httpx.Client(base_url=live_server, timeout=10) as client:
        yield client
