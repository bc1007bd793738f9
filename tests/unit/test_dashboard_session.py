"""The till dashboard's signed cookies, CSRF tokens and live-update cursors (pure)."""

from __future__ import annotations

from clopos.server.dashboard import session as cookies
from clopos.server.dashboard.feed import _event_id, _parse_cursor, topic_of
from clopos.server.dashboard.session import Identity

KEY = cookies.derive_key("the server's jwt key")
NOW = 1_800_000_000


def identity(**changes: object) -> Identity:
    values: dict[str, object] = {
        "kind": "client",
        "brand_id": 7,
        "subject": "demo-client",
        "nonce": "n0nce",
        "expires_at": NOW + 60,
    }
    values.update(changes)
    return Identity(**values)  # type: ignore[arg-type]


def test_a_session_reads_back_as_written() -> None:
    who = identity()
    assert cookies.read_session(KEY, cookies.write_session(KEY, who), now=NOW) == who


def test_a_changed_payload_or_signature_is_refused() -> None:
    sealed = cookies.write_session(KEY, identity())
    payload, signature = sealed.split(".")
    other_payload = cookies.write_session(KEY, identity(brand_id=8)).split(".")[0]
    for forged in (
        f"{other_payload}.{signature}",  # another brand with this signature
        f"{payload}.{signature[:-2]}AA",
        f"{payload}.",
        payload,
        "",
        "a.b.c",
        "!!!.???",
    ):
        assert cookies.read_session(KEY, forged, now=NOW) is None, forged


def test_a_session_signed_with_another_key_is_refused() -> None:
    sealed = cookies.write_session(cookies.derive_key("another server"), identity())
    assert cookies.read_session(KEY, sealed, now=NOW) is None


def test_an_expired_session_is_refused() -> None:
    sealed = cookies.write_session(KEY, identity(expires_at=NOW))
    assert cookies.read_session(KEY, sealed, now=NOW) is None
    assert cookies.read_session(KEY, sealed, now=NOW - 1) is not None


def test_sealed_values_of_one_purpose_do_not_open_as_another() -> None:
    flash = cookies.seal(KEY, "flash", {"k": "client", "b": 7, "s": "x", "n": "y", "e": NOW + 9})
    assert cookies.open_signed(KEY, "flash", flash) is not None
    assert cookies.read_session(KEY, flash, now=NOW) is None


def test_malformed_documents_are_refused_even_when_signed() -> None:
    for document in (
        {"k": "root", "b": 7, "s": "x", "n": "y", "e": NOW + 9},
        {"k": "admin", "b": "7", "s": "x", "n": "y", "e": NOW + 9},
        {"k": "admin", "b": True, "s": "x", "n": "y", "e": NOW + 9},
        {"k": "admin", "b": 7, "s": "x", "n": "", "e": NOW + 9},
        {"k": "admin", "b": 7, "s": "x", "n": "y", "e": "later"},
    ):
        assert cookies.read_session(KEY, cookies.seal(KEY, "session", document), now=NOW) is None


def test_csrf_tokens_belong_to_one_nonce() -> None:
    token = cookies.csrf_token(KEY, "nonce-a")
    assert cookies.csrf_matches(KEY, "nonce-a", token)
    assert not cookies.csrf_matches(KEY, "nonce-b", token)
    assert not cookies.csrf_matches(KEY, "nonce-a", token + "x")
    assert not cookies.csrf_matches(KEY, "nonce-a", "")
    assert not cookies.csrf_matches(KEY, "nonce-a", None)
    assert not cookies.csrf_matches(KEY, "", cookies.csrf_token(KEY, ""))
    assert not cookies.csrf_matches(KEY, "nonce-a", "ü" * 43)


def test_the_admin_fingerprint_changes_with_the_token_and_hides_it() -> None:
    first = cookies.fingerprint(KEY, "till-secret")
    assert first == cookies.fingerprint(KEY, "till-secret")
    assert first != cookies.fingerprint(KEY, "till-secret2")
    assert "till-secret" not in first


def test_event_types_map_to_dashboard_topics() -> None:
    assert topic_of("order.created") == "orders"
    assert topic_of("order.accepted") == "orders"
    assert topic_of("receipt.closed") == "receipts"
    assert topic_of("stop_list.changed") == "stop_list"
    assert topic_of("customer.created") is None
    assert topic_of("pos.order.created") is None


def test_cursors_read_only_what_they_should() -> None:
    assert _event_id("e:42") == 42
    assert _event_id("e:0") == 0
    for unreadable in (None, "", "e:", "e:-1", "e:4x", "42", "orders:abc", "e:" + "9" * 19):
        assert _event_id(unreadable) is None, unreadable
    assert _parse_cursor("orders:abc,receipts:def,stop_list:0a") == {
        "orders": "abc",
        "receipts": "def",
        "stop_list": "0a",
    }
    assert _parse_cursor("orders:,bogus:1,receipts") == {}
