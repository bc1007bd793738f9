"""A real ``clopos serve`` process for the end-to-end tests.

``serve`` runs the installed ``clopos`` script exactly as ``make run`` does, on a free port
of 127.0.0.1 with a private database, and waits until ``GET /health`` answers. The process
writes to a log file rather than a pipe (a full pipe would block the server); a failure to
start shows that log. Every process started by a test is stopped when the test ends.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import httpx
import pytest

# tests/conftest.py: the PostgreSQL helpers the API tests use (tests/ is on sys.path).
from conftest import _pg_exec, _pg_url, postgres_unreachable

CLOPOS = Path(sys.executable).parent / "clopos"
STARTUP_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0
# scrypt cost for the demo client's secret; the production cost only makes the test slow.
FAST_HASH_N = "256"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(database_url: str) -> dict[str, str]:
    """The caller's environment without any CLOPOS_* setting, plus the test database.

    Dropping inherited CLOPOS_* values matters: a CLOPOS_JWT_SECRET from the developer's
    shell would hide whether the server persists its own key across restarts.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOPOS_")}
    env["CLOPOS_DATABASE_URL"] = database_url
    env["CLOPOS_SECRET_HASH_N"] = FAST_HASH_N
    env["NO_COLOR"] = "1"
    return env


class ServerProcess:
    """One ``clopos serve --seed-demo`` process; ``start`` may be called again after ``stop``."""

    def __init__(
        self, database_url: str, log_dir: Path, extra_env: Mapping[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        # Settings for this server on top of ``server_env`` (e.g. CLOPOS_ADMIN_TOKEN).
        self.extra_env = dict(extra_env or {})
        self.port = free_port()
        self.log_dir = log_dir
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = log_dir / "serve-0.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything the current (or last) process printed, stdout and stderr."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self) -> None:
        """Launch the server and block until ``/health`` answers 200."""
        assert self.process is None, "already running"
        self.starts += 1
        self.log_path = self.log_dir / f"serve-{self.starts}.log"
        command = [str(CLOPOS), "serve", "--seed-demo", "--port", str(self.port)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**server_env(self.database_url), **self.extra_env},
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        last_error = "no attempt"
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                self.process = None
                pytest.fail(f"clopos serve exited with {code} before serving:\n{self.output()}")
            try:
                response = httpx.get(f"{self.base_url}/health", timeout=1.0)
                if response.status_code == 200:
                    return
                last_error = f"HTTP {response.status_code}"
            except httpx.TransportError as exc:
                last_error = repr(exc)
            time.sleep(0.1)
        self.kill()
        pytest.fail(
            f"clopos serve did not answer /health within {STARTUP_TIMEOUT_SECONDS:.0f} s "
            f"({last_error}):\n{self.output()}"
        )

    def stop(self) -> None:
        """SIGTERM, as a process manager would send, and check the shutdown was graceful.

        uvicorn finishes its shutdown and then re-raises the signal, so a clean stop ends
        with "killed by SIGTERM" (-15), which systemd and Docker count as a normal stop.
        """
        assert self.process is not None, "not running"
        process, self.process = self.process, None
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"clopos serve ignored SIGTERM for {STOP_TIMEOUT_SECONDS:.0f} s")
        output = self.output()
        assert code in (0, -signal.SIGTERM), f"exit code {code}:\n{output}"
        assert "Application shutdown complete" in output, output
        assert "Traceback" not in output, output

    def kill(self) -> None:
        """Stop at once (teardown after a failure)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[[str], ServerProcess]]:
    """``serve(database_url)`` → a started server; all are killed at teardown."""
    started: list[ServerProcess] = []

    def launch(database_url: str) -> ServerProcess:
        log_dir = tmp_path / f"server-{len(started)}"
        log_dir.mkdir()
        server = ServerProcess(database_url, log_dir)
        started.append(server)
        server.start()
        return server

    yield launch
    for server in started:
        server.kill()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it yet: ``serve --seed-demo`` migrates and seeds it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}"
        return
    problem = postgres_unreachable()
    if problem:
        pytest.skip(problem)
    name = f"clopos_e2e_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
