"""Code that uses the SDK type-checks under ``mypy --strict`` (issue 5), and mistakes do not.

``tests/typing/typed_usage.py`` (sync and async, every kind of answer) must produce no
error; a snippet that treats a ``Decimal`` as ``str`` or an answer as a dict must be
rejected — otherwise the return types would be ``Any`` and the first check would prove
nothing. Both files are checked in one mypy run with the project's settings.
"""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

ROOT = Path(__file__).resolve().parents[2]
TYPED_USAGE = ROOT / "tests" / "typing" / "typed_usage.py"

WRONG = """
from clopos.client import AsyncCloposClient, CloposClient


def wrong(clopos: CloposClient) -> None:
    total: str = clopos.get_receipt_by_id(1).data.total  # line 6: a Decimal
    name = clopos.get_venues()["data"][0]["name"]  # line 7: not a dict
    clopos.get_venues().data[0].nmae  # line 8: no such field


async def wrong_async(clopos: AsyncCloposClient) -> None:
    for receipt in await clopos.fetch_all("get_receipts"):
        receipt.total.upper()  # line 13: Decimal has no upper
"""


def test_typed_usage_passes_and_mistakes_are_caught(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong_usage.py"
    wrong.write_text(WRONG)
    stdout, stderr, _ = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), str(TYPED_USAGE), str(wrong)]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert not stderr, stderr
    assert [e for e in errors if "typed_usage.py" in e] == [], stdout
    wrong_lines = sorted(
        {int(m.group(1)) for e in errors if (m := re.search(r"wrong_usage\.py:(\d+):", e))}
    )
    assert wrong_lines == [6, 7, 8, 13], stdout
