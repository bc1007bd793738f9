"""``clopos export receipts``: rows per second, and peak memory that stays flat with size.

Run: ``.venv/bin/python bench/export.py [--receipts 100000]``. It

1. builds a temporary SQLite database: the demo brand plus ``--receipts`` closed sample
   receipts at venue 1, spread over 100 days (bulk ``INSERT`` through the store's tables,
   ``clopos.reporting.sample``);
2. starts ``clopos serve`` on it (rate limiting off);
3. for each format, runs ``clopos export receipts`` as a child process twice: over the
   first tenth of the days (the baseline, ~10 % of the receipts) and over all of them, and
   reads each child's own peak RSS from ``os.wait4``;
4. runs one child that reads the same receipts with the SDK's ``fetch_all`` (which returns
   them all in one list), to show what streaming saves.

It prints rows/s, peak RSS and the full/baseline RSS ratio (flat memory ≈ 1.0), and asserts
nothing; the server is stopped and the directory removed at the end (``--keep`` keeps it).
Rows/s includes the child's start-up (~0.5 s of imports) and the parquet conversion.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from _server import CLOPOS, clean_env, start_server

# Deliberately no clopos imports at module level: this process must stay small. Linux
# carries a parent's peak RSS into every child it forks (the child's ``ru_maxrss`` is at
# least the parent's RSS at fork), so a parent that had loaded the server and seeded 100 000
# rows would hide the children's own peaks. The seeding runs in a child of its own.
DEMO = {
    "CLOPOS_CLIENT_ID": "demo-client",
    "CLOPOS_CLIENT_SECRET": "demo-secret",
    "CLOPOS_BRAND": "openapitest",
    "CLOPOS_INTEGRATOR_ID": "demo-integrator",
}
DAYS = 100
FIRST_DAY = date(2025, 1, 1)
FETCH_ALL_CHILD = """
import asyncio, sys
from clopos.client import AsyncCloposClient

async def main() -> None:
    async with AsyncCloposClient() as client:
        items = await client.fetch_all(
            "get_receipts", limit=200, concurrency=4,
            date_from=sys.argv[1], date_to=sys.argv[2], sort_by="id", sort_order=1,
        )
    print(len(items))

asyncio.run(main())
"""


def seed_into(url: str, receipts: int) -> None:
    """Migrate ``url``, add the demo brand and ``receipts`` sample receipts (run in a child:
    ``bench/export.py --seed-into URL --receipts N``)."""
    from clopos.reporting.sample import insert_receipts
    from clopos.server.demo import seed_demo
    from clopos.server.store.db import create_engine, session_factory
    from clopos.server.store.migrate import upgrade

    async def seed() -> None:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                await seed_demo(session, hash_n=256)
        finally:
            await engine.dispose()
        days = [FIRST_DAY + timedelta(days=i) for i in range(DAYS)]
        await insert_receipts(url, receipts, days=days)

    upgrade(url)
    asyncio.run(seed())


@dataclass(frozen=True)
class Run:
    """One child process: what it printed, how long it took, its own peak RSS."""

    output: str
    seconds: float
    peak_rss_mb: float


def run_child(command: list[str], env: dict[str, str], root: Path) -> Run:
    """Run ``command`` and read its peak RSS from ``wait4`` (that child alone)."""
    log = root / "child.out"
    started = time.perf_counter()
    with log.open("wb") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
        _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output}")
    # ru_maxrss is in KiB on Linux.
    return Run(output, seconds, usage.ru_maxrss / 1024)


def exported_rows(output: str) -> int:
    for word_index, word in enumerate(words := output.split()):
        if word == "exported":
            return int(words[word_index + 1])
    raise SystemExit(f"no row count in: {output!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=100_000, help="receipts to seed")
    parser.add_argument("--formats", default="csv,jsonl,parquet", help="comma-separated")
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--no-fetch-all", action="store_true", help="skip the fetch_all run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--seed-into", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receipts < DAYS:
        raise SystemExit(f"--receipts must be at least {DAYS}")
    if args.seed_into:
        seed_into(args.seed_into, args.receipts)
        return

    root = Path(tempfile.mkdtemp(prefix="clopos-bench-export-"))
    url = f"sqlite+aiosqlite:///{root / 'bench.db'}"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, __file__, "--seed-into", url, "--receipts", str(args.receipts)],
        check=True,
    )
    print(f"seeded {args.receipts} receipts in {time.perf_counter() - started:.1f} s ({root})")
    server, base_url = start_server(root, database_url=url, seed_demo=False)
    env = clean_env()
    env.update(DEMO, CLOPOS_BASE_URL=base_url)
    last_day = (FIRST_DAY + timedelta(days=DAYS - 1)).isoformat()
    tenth_day = (FIRST_DAY + timedelta(days=DAYS // 10 - 1)).isoformat()
    ranges = {"baseline": tenth_day, "full": last_day}
    try:
        print(
            f"{'format':8} {'run':9} {'rows':>8} {'seconds':>8} {'rows/s':>9} "
            f"{'peak RSS':>9}  full/baseline RSS"
        )
        for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
            rss: dict[str, float] = {}
            for label, until in ranges.items():
                out = root / f"{label}.{fmt}"
                run = run_child(
                    [
                        str(CLOPOS), "export", "receipts",
                        "--from", FIRST_DAY.isoformat(), "--to", until,
                        "--out", str(out), "--format", fmt,
                        "--page-size", str(args.page_size),
                        "--concurrency", str(args.concurrency),
                    ],
                    env,
                    root,
                )  # fmt: skip
                rows = exported_rows(run.output)
                rss[label] = run.peak_rss_mb
                ratio = f"  {rss['full'] / rss['baseline']:.2f}x" if label == "full" else ""
                print(
                    f"{fmt:8} {label:9} {rows:>8} {run.seconds:>8.2f} "
                    f"{rows / run.seconds:>9,.0f} {run.peak_rss_mb:>7.1f} MB{ratio}"
                )
                out.unlink()
        if not args.no_fetch_all:
            for label, until in ranges.items():
                run = run_child(
                    [sys.executable, "-c", FETCH_ALL_CHILD, FIRST_DAY.isoformat(), until],
                    env,
                    root,
                )
                rows = int(run.output.strip().splitlines()[-1])
                print(
                    f"{'fetch_all':8} {label:9} {rows:>8} {run.seconds:>8.2f} "
                    f"{rows / run.seconds:>9,.0f} {run.peak_rss_mb:>7.1f} MB  (all in one list)"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
