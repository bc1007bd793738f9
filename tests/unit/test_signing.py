"""Webhook signatures: what the server signs, ``clopos.client.webhooks.verify_signature``
accepts — and nothing else (a tampered body, another secret, an old or future timestamp,
a missing or malformed header)."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest

from clopos.client.webhooks import WebhookSignatureError, compute_signature, verify_signature
from clopos.server.events import signing

SECRET = "whsec_test-secret-0123456789abcdefghijklmnopqrstuv"
BODY = b'{"id":7,"type":"receipt.closed","brand":"openapitest","data":{"total":17.50}}'
NOW = 1_767_261_600


def headers_for(body: bytes, *, secret: str = SECRET, timestamp: int = NOW) -> dict[str, str]:
    """What the worker sends (clopos.server.events.delivery)."""
    return {
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature_header(secret, timestamp, body),
        signing.EVENT_ID_HEADER: "7",
    }


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signing.signature(SECRET, NOW, BODY) == expected
    assert signing.signature_header(SECRET, NOW, BODY) == f"v1={expected}"
    # The client's helper computes the same value, from bytes or text.
    assert compute_signature(SECRET, NOW, BODY) == f"v1={expected}"
    assert compute_signature(SECRET, NOW, BODY.decode()) == f"v1={expected}"


def test_a_genuine_delivery_verifies_and_returns_the_event() -> None:
    event = verify_signature(BODY, headers_for(BODY), SECRET, now=NOW + 10)
    assert event["id"] == 7 and event["type"] == "receipt.closed"
    assert event["data"]["total"] == Decimal("17.50")  # money stays exact
    signing.verify(
        SECRET,
        BODY,
        timestamp=str(NOW),
        header=signing.signature_header(SECRET, NOW, BODY),
        now=NOW,
    )


def test_header_names_are_matched_in_any_case() -> None:
    lowered = {name.lower(): value for name, value in headers_for(BODY).items()}
    assert verify_signature(BODY, lowered, SECRET, now=NOW)["id"] == 7


@pytest.mark.parametrize(
    "tampered",
    [
        BODY.replace(b"17.50", b"1.50"),
        BODY + b" ",
        BODY.replace(b"receipt.closed", b"receipt.deleted"),
    ],
)
def test_a_tampered_body_is_rejected(tampered: bytes) -> None:
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_signature(tampered, headers_for(BODY), SECRET, now=NOW)
    with pytest.raises(signing.SignatureMismatch, match="does not match"):
        signing.verify(
            SECRET,
            tampered,
            timestamp=str(NOW),
            header=signing.signature_header(SECRET, NOW, BODY),
            now=NOW,
        )


def test_another_secret_is_rejected() -> None:
    forged = headers_for(BODY, secret="whsec_guessed")
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_signature(BODY, forged, SECRET, now=NOW)


@pytest.mark.parametrize("skew", [301, -301, 86_400])
def test_an_old_or_future_timestamp_is_rejected(skew: int) -> None:
    """A captured request replayed later (or a clock far off) fails, though the signature
    itself is valid for its timestamp."""
    sent = headers_for(BODY, timestamp=NOW)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify_signature(BODY, sent, SECRET, now=NOW + skew)
    with pytest.raises(signing.SignatureMismatch, match="tolerance"):
        signing.verify(
            SECRET,
            BODY,
            timestamp=sent[signing.TIMESTAMP_HEADER],
            header=sent[signing.SIGNATURE_HEADER],
            now=NOW + skew,
        )
    # Within the tolerance it passes; the tolerance is the caller's to choose.
    assert verify_signature(BODY, sent, SECRET, now=NOW + 299)["id"] == 7
    assert verify_signature(BODY, sent, SECRET, now=NOW + skew, tolerance=abs(skew))["id"] == 7


def test_a_timestamp_moved_to_now_breaks_the_signature() -> None:
    """Replaying with a fresh timestamp does not work: the timestamp is signed too."""
    replay = headers_for(BODY, timestamp=NOW)
    replay[signing.TIMESTAMP_HEADER] = str(NOW + 3600)
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_signature(BODY, replay, SECRET, now=NOW + 3600)


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        ({signing.SIGNATURE_HEADER: "v1=00"}, "Clopos-Timestamp header is missing"),
        ({signing.TIMESTAMP_HEADER: str(NOW)}, "Clopos-Signature header is missing"),
        (
            {signing.TIMESTAMP_HEADER: "yesterday", signing.SIGNATURE_HEADER: "v1=00"},
            "Unix seconds",
        ),
        ({signing.TIMESTAMP_HEADER: str(NOW), signing.SIGNATURE_HEADER: "v0=abc"}, "no v1="),
        ({signing.TIMESTAMP_HEADER: str(NOW), signing.SIGNATURE_HEADER: "v1=é"}, "does not"),
    ],
)
def test_missing_or_malformed_headers_are_rejected(headers: dict[str, str], words: str) -> None:
    with pytest.raises(WebhookSignatureError, match=words):
        verify_signature(BODY, headers, SECRET, now=NOW)


def test_any_one_of_several_signatures_may_match() -> None:
    good = signing.signature_header(SECRET, NOW, BODY)
    sent = {signing.TIMESTAMP_HEADER: str(NOW), signing.SIGNATURE_HEADER: f"v1=dead, {good}"}
    assert verify_signature(BODY, sent, SECRET, now=NOW)["id"] == 7


def test_a_signed_non_object_body_is_refused() -> None:
    body = b"[1, 2]"
    with pytest.raises(WebhookSignatureError, match="not a JSON object"):
        verify_signature(body, headers_for(body), SECRET, now=NOW)


def test_new_secrets_are_random_and_prefixed() -> None:
    made = {signing.new_secret() for _ in range(50)}
    assert len(made) == 50
    assert all(s.startswith("whsec_") and len(s) >= 46 for s in made)


def test_the_docs_example_accepts_a_genuine_delivery_and_refuses_a_forged_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """docs/events.md's verification example, run as written (with its secret filled in)."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "events.md"
    (block,) = [
        b
        for b in re.findall(r"```python\n(.*?)```", docs.read_text(), re.S)
        if "def handle_webhook" in b
    ]
    namespace: dict[str, object] = {}
    exec(compile(block, str(docs), "exec"), namespace)
    namespace["WEBHOOK_SECRET"] = SECRET
    handle = namespace["handle_webhook"]
    assert callable(handle)
    body = b'{"id":9,"type":"receipt.closed","data":{"id":12,"total":17.50}}'
    now = int(time.time())
    assert handle(body, headers_for(body, timestamp=now)) == 200
    assert capsys.readouterr().out == "closed 12 17.50\n"
    assert handle(body.replace(b"17.50", b"0.50"), headers_for(body, timestamp=now)) == 400
    assert handle(body, headers_for(body, timestamp=now - 3600)) == 400
