"""Regenerate the initial migration from the models (pre-release only: nothing is deployed).

Run: .venv/bin/python scripts/regen_migration.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from clopos.server.store.migrate import MIGRATIONS_DIR, revision

versions = MIGRATIONS_DIR / "versions"
for old in versions.glob("*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    revision(f"sqlite+aiosqlite:///{tmp}/gen.db", "initial schema")
(generated,) = versions.glob("*.py")
text = generated.read_text()
rev = generated.name.split("_", 1)[0]
target = versions / "0001_initial_schema.py"
target.write_text(text.replace(rev, "0001"))
generated.unlink()
ruff = Path(sys.executable).parent / "ruff"
subprocess.run([str(ruff), "format", "-q", str(target)], check=True)  # noqa: S603
subprocess.run([str(ruff), "check", "-q", "--fix", str(target)], check=False)  # noqa: S603
print(f"wrote {target}")
