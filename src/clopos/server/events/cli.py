"""CLI commands of this package, registered on the main `clopos` app by `register`."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main `clopos` app."""
