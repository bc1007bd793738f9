"""Which Clopos API the reporting commands talk to, and how its failures read on one line.

Every command takes the same seven options; each one left out is read by the SDK from its
``CLOPOS_*`` environment variable (``docs/sdk.md`` § Configuration), so
``CLOPOS_BASE_URL=… clopos export receipts …`` and ``--base-url …`` mean the same.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Annotated, Any

import typer

from clopos.client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncCloposClient,
    AuthenticationError,
    ClientSettings,
    CloposClient,
    CloposError,
)

# "Connection error: ConnectError('[Errno 111] Connection refused')" -> the quoted part.
_TRANSPORT_REASON = re.compile(r"\w+\((['\"])(?P<reason>.+)\1\)$")

PANEL = "Upstream (default: the CLOPOS_* environment variables)"

BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="API host, e.g. https://integrations.clopos.com (env CLOPOS_BASE_URL)",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
ClientIdOption = Annotated[
    str | None,
    typer.Option(help="(env CLOPOS_CLIENT_ID)", rich_help_panel=PANEL, show_default=False),
]
ClientSecretOption = Annotated[
    str | None,
    typer.Option(help="(env CLOPOS_CLIENT_SECRET)", rich_help_panel=PANEL, show_default=False),
]
BrandOption = Annotated[
    str | None,
    typer.Option(help="Brand slug (env CLOPOS_BRAND)", rich_help_panel=PANEL, show_default=False),
]
IntegratorOption = Annotated[
    str | None,
    typer.Option(
        help="v2 integrator id (env CLOPOS_INTEGRATOR_ID)",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
VenueOption = Annotated[
    str | None,
    typer.Option(
        help="Venue id, sent as x-venue; receipts are per venue (env CLOPOS_VENUE_ID)",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]
ApiVersionOption = Annotated[
    str | None,
    typer.Option(
        help="v1 or v2 (env CLOPOS_API_VERSION, default v2)",
        rich_help_panel=PANEL,
        show_default=False,
    ),
]


class ReportingError(Exception):
    """A refusal the command line prints as one line (exit 2)."""


@dataclass(frozen=True)
class Upstream:
    """The connection options as given on the command line (``None`` = from the env)."""

    base_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    brand: str | None = None
    integrator_id: str | None = None
    venue_id: str | None = None
    api_version: str | None = None

    def _kwargs(self) -> dict[str, Any]:
        if self.api_version is not None and self.api_version not in ("v1", "v2"):
            raise ReportingError(f"--api-version must be v1 or v2, got {self.api_version!r}")
        if self.venue_id is not None and not self.venue_id.strip().isdigit():
            raise ReportingError(f"--venue-id must be a positive integer, got {self.venue_id!r}")
        return {k: v for k, v in asdict(self).items() if v is not None}

    def settings(self) -> ClientSettings:
        """The resolved settings: these options over the ``CLOPOS_*`` variables."""
        try:
            return ClientSettings.from_env(**self._kwargs())
        except CloposError as exc:
            raise ReportingError(exc.message) from None

    def sync_client(self) -> CloposClient:
        """A ``CloposClient`` for these settings (close it when done)."""
        kwargs = self._kwargs()
        try:
            return CloposClient(**kwargs)
        except CloposError as exc:
            raise ReportingError(exc.message) from None

    def async_client(self) -> AsyncCloposClient:
        """An ``AsyncCloposClient`` for these settings (``aclose`` it when done)."""
        kwargs = self._kwargs()
        try:
            return AsyncCloposClient(**kwargs)
        except CloposError as exc:
            raise ReportingError(exc.message) from None


def describe(error: CloposError, base_url: str) -> str:
    """One line saying what went wrong with the upstream, and where."""
    if isinstance(error, APITimeoutError):
        return f"{base_url} did not answer in time"
    if isinstance(error, APIConnectionError):
        found = _TRANSPORT_REASON.search(error.message)
        reason = found.group("reason") if found else error.message
        return f"cannot reach {base_url}: {reason}"
    if isinstance(error, AuthenticationError):
        return f"{base_url} refused the credentials: {error.message}"
    if isinstance(error, APIStatusError):
        return f"{base_url} answered {error}"
    return error.message
