"""Pure rules of the events package: type selectors, the retry schedule, endpoint input."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from clopos.server.events import types
from clopos.server.events.delivery import RetryPolicy
from clopos.server.events.subscriptions import check_description, check_url

START = datetime(2026, 1, 1, 12, 0, 0)


def test_selectors_match_names_prefixes_and_everything() -> None:
    assert types.matches([], "order.created")
    assert types.matches(["*"], "stop_list.changed")
    assert types.matches(["order.*"], "order.ignored")
    assert not types.matches(["order.*"], "receipt.closed")
    assert types.matches(["receipt.closed", "customer.created"], "customer.created")
    assert not types.matches(["receipt.closed"], "receipt.created")
    # "stop_list.*" must not match by accident what "stop.*" would.
    assert not types.matches(["stop.*"], "stop_list.changed")


def test_selectors_are_checked_against_known_types() -> None:
    assert types.check_selectors([" order.* ", "order.*", "receipt.closed"]) == [
        "order.*",
        "receipt.closed",
    ]
    for bad in ("order.made", "orders.*", "stop.*", "", "order"):
        with pytest.raises(types.UnknownEventType):
            types.check_selector(bad)


def test_other_packages_register_their_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(types, "_extra_types", set())  # leave the registry as it was
    with pytest.raises(types.UnknownEventType):
        types.check_selector("pos.order.created")
    types.register_event_types(["pos.order.created"])
    assert types.check_selector("pos.*") == "pos.*"
    assert "pos.order.created" in types.known_types()
    assert types.known_types()[: len(types.CORE_TYPES)] == types.CORE_TYPES
    with pytest.raises(ValueError, match="not an event type name"):
        types.register_event_types(["Pos Order"])


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(first_seconds=10, max_seconds=3600, window_seconds=86400)
    assert [policy.delay(n) for n in range(1, 11)] == [
        10,
        20,
        40,
        80,
        160,
        320,
        640,
        1280,
        2560,
        3600,
    ]
    assert policy.delay(500) == 3600


def test_the_schedule_spans_the_window_and_ends_on_it() -> None:
    policy = RetryPolicy(first_seconds=10, max_seconds=3600, window_seconds=86400)
    now, failures, times = START, 0, []
    while True:
        failures += 1
        nxt = policy.next_attempt(started_at=START, failures=failures, now=now)
        if nxt is None:
            break
        times.append(nxt)
        now = nxt
    assert times == sorted(times)
    assert times[-1] == START + timedelta(hours=24)  # the last try is at the window's end
    assert 25 <= len(times) <= 40  # about 30 tries in 24 h with the defaults
    assert policy.next_attempt(started_at=START, failures=99, now=START + timedelta(days=2)) is None


def test_urls_and_descriptions() -> None:
    assert check_url(" https://example.com/hooks?x=1 ") == "https://example.com/hooks?x=1"
    assert check_url("http://127.0.0.1:8080/h") == "http://127.0.0.1:8080/h"
    for bad, words in [
        ("", "empty"),
        ("ftp://example.com", "http"),
        ("https://", "host"),
        ("https://a b", "spaces"),
        ("https://example.com/" + "x" * 2048, "2048"),
    ]:
        with pytest.raises(ValueError, match=words):
            check_url(bad)
    assert check_description("  ") is None
    assert check_description(" kitchen ") == "kitchen"
    with pytest.raises(ValueError, match="500"):
        check_description("x" * 501)
