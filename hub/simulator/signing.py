"""The simulator's deterministic Ed25519 TEST key: signs deliveries the way GHL signs X-GHL-Signature.

GHL signs the exact body bytes with Ed25519 and sends the base64 signature in `X-GHL-Signature`
(ghl-api.md §2.1–2.2). We cannot sign as GHL, so simulated traffic is signed with this key, derived
from a fixed public seed: a receiver under test is configured with `TEST_PUBLIC_KEY_PEM` instead
of GHL's published key. The private key is public knowledge by construction — never trust it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

_SEED = hashlib.sha256(b"enterprisehub brokerage simulator TEST signing key v1").digest()
_PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(_SEED)
_PUBLIC_KEY: Ed25519PublicKey = _PRIVATE_KEY.public_key()

TEST_PUBLIC_KEY_PEM: str = _PUBLIC_KEY.public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
).decode("ascii")


def sign(body: bytes) -> str:
    """Base64 Ed25519 signature of the exact body bytes, as sent in `X-GHL-Signature`."""
    return base64.b64encode(_PRIVATE_KEY.sign(body)).decode("ascii")


def verify(body: bytes, signature: str) -> bool:
    """Whether `signature` (base64) is the test key's signature of exactly `body`."""
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 64:  # GHL's own SDK rejects any other length before verifying (ghl-api.md §2.1)
        return False
    try:
        _PUBLIC_KEY.verify(raw, body)
    except InvalidSignature:
        return False
    return True
