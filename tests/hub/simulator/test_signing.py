"""Every GHL-route delivery carries a valid Ed25519 X-GHL-Signature from the test key; workflow ones none."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hub.simulator import TEST_PUBLIC_KEY_PEM, Simulation, sign, verify


def test_every_signed_delivery_verifies_with_the_published_test_key(sim: Simulation) -> None:
    # Verify the way a receiver does (ghl-api.md §2.5): load the PEM, verify raw body bytes.
    key = serialization.load_pem_public_key(TEST_PUBLIC_KEY_PEM.encode())
    assert isinstance(key, Ed25519PublicKey)
    signed = [d for d in sim.deliveries if d.route == "ghl"]
    assert len(signed) > 1_000
    for delivery in signed:
        signature = base64.b64decode(delivery.headers["x-ghl-signature"])
        assert len(signature) == 64
        key.verify(signature, delivery.body)  # raises InvalidSignature on failure
    assert all(verify(d.body, d.headers["x-ghl-signature"]) for d in signed[:500])


@pytest.mark.parametrize("position", [0, 17, -2])
def test_changing_one_byte_breaks_the_signature(sim: Simulation, position: int) -> None:
    for delivery in [d for d in sim.deliveries if d.route == "ghl"][:50]:
        tampered = bytearray(delivery.body)
        tampered[position] ^= 0x01
        assert not verify(bytes(tampered), delivery.headers["x-ghl-signature"])


def test_signature_over_re_serialised_json_fails(sim: Simulation) -> None:
    # json.dumps with default separators is not the sent body: a receiver must verify raw bytes.
    delivery = next(d for d in sim.deliveries if d.route == "ghl")
    re_encoded = json.dumps(json.loads(delivery.body)).encode()
    assert re_encoded != delivery.body
    assert not verify(re_encoded, delivery.headers["x-ghl-signature"])


def test_workflow_deliveries_are_unsigned(sim: Simulation) -> None:
    workflow = [d for d in sim.deliveries if d.route == "workflow"]
    assert workflow, "the run should contain website (workflow-action) deliveries"
    for delivery in workflow:
        assert not delivery.signed
        assert "x-ghl-signature" not in delivery.headers and "x-wh-signature" not in delivery.headers
        assert delivery.headers["user-agent"].startswith("axios/")


def test_verify_rejects_garbage_signatures() -> None:
    body = b'{"type":"ContactCreate"}'
    good = sign(body)
    assert verify(body, good)
    assert not verify(body, "not base64!!")
    assert not verify(body, base64.b64encode(b"\x00" * 63).decode())  # wrong length
    assert not verify(body, base64.b64encode(b"\x00" * 64).decode())
    assert not verify(body + b" ", good)


def test_signatures_are_deterministic() -> None:
    assert sign(b"abc") == sign(b"abc")
    assert sign(b"abc") != sign(b"abd")
