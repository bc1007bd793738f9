"""What the benchmarks share: a real ``clopos serve`` on a free port of 127.0.0.1.

Benchmarks run as scripts (``python bench/x.py``), so this folder is on ``sys.path`` and
they import it as ``_server``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

CLOPOS = Path(sys.executable).parent / "clopos"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env() -> dict[str, str]:
    """This environment without any inherited ``CLOPOS_*`` setting."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CLOPOS_")}


def start_server(
    root: Path,
    *,
    database_url: str | None = None,
    seed_demo: bool = True,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """``clopos serve`` (rate limits off) logging to ``root/serve.log``; returns the process
    and its base URL once ``/health`` answers. The database defaults to ``root/bench.db``."""
    port = free_port()
    env = clean_env()
    env["CLOPOS_DATABASE_URL"] = database_url or f"sqlite+aiosqlite:///{root / 'bench.db'}"
    env["CLOPOS_RATE_LIMIT_ENABLED"] = "false"
    env.update(extra_env or {})
    command = [str(CLOPOS), "serve", "--port", str(port)]
    if seed_demo:
        command.append("--seed-demo")
    with (root / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{(root / 'serve.log').read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start within {timeout:.0f} s")
