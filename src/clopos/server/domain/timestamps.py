"""Timestamp formats of the Open API (spec §4.4). Pure functions over naive-UTC datetimes."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Current time as a naive UTC datetime, the form the store keeps."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso_micro(value: datetime | None) -> str | None:
    """``2026-02-02T13:45:53.000000Z`` — orders, users, customers, categories, stations, …"""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def plain(value: datetime | None) -> str | None:
    """``2026-02-02 13:45:53`` — receipts, products, envelope ``timestamp``."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%M:%S")


def day(value: date | None) -> str | None:
    """``2026-02-02`` — dates of birth, shift dates."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%d")


def unix_seconds(value: datetime) -> int:
    """Epoch seconds of a naive-UTC datetime."""
    return int(value.replace(tzinfo=UTC).timestamp())


def unix_millis(value: datetime) -> int:
    """Epoch milliseconds of a naive-UTC datetime (stop list ``timestamp``)."""
    return int(value.replace(tzinfo=UTC).timestamp() * 1000)
