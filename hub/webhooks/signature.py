"""Signature checks on the raw body of a GHL delivery (ghl-api.md §2).

`X-GHL-Signature` is Ed25519 over the exact body bytes; the legacy `X-WH-Signature` is RSA
PKCS#1 v1.5 / SHA-256. The body must be verified as received: re-serialising the JSON changes
separators and escaping and breaks the signature (§2.2). A missing header is a failure, never a
skip — skipping turns the endpoint into an open door (§2.5).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from hub.errors import ConfigError, SignatureError

Scheme = Literal["ed25519", "rsa-sha256"]


@lru_cache(maxsize=8)
def _ed25519_key(pem: str) -> VerifyKey:
    key = _load(pem, "HUB_WEBHOOK_ED25519_PUBLIC_KEY")
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError("HUB_WEBHOOK_ED25519_PUBLIC_KEY", "is not an Ed25519 public key")
    # Verification runs on every delivery, on the event loop: libsodium's Ed25519 verify is about
    # 2x faster than OpenSSL 3.0's portable one (66 vs 124 µs here; bench/README.md, intake).
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return VerifyKey(raw)


@lru_cache(maxsize=8)
def _rsa_key(pem: str) -> RSAPublicKey:
    key = _load(pem, "HUB_WEBHOOK_RSA_PUBLIC_KEY")
    if not isinstance(key, RSAPublicKey):
        raise ConfigError("HUB_WEBHOOK_RSA_PUBLIC_KEY", "is not an RSA public key")
    return key


def _load(pem: str, setting: str) -> object:
    try:
        return serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise ConfigError(setting, f"cannot be read as a PEM public key ({exc})") from None


def _decode(signature: str, header: str) -> bytes:
    try:
        return base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{header} is not valid base64") from None


def verify_signature(
    raw_body: bytes,
    headers: Mapping[str, str],
    *,
    ed25519_pem: str,
    rsa_pem: str | None = None,
) -> Scheme:
    """Return the scheme that verified `raw_body`; raise SignatureError saying what was wrong.

    `headers` must be case-insensitive (Starlette's Headers) or lower-cased.
    """
    ghl_sig = headers.get("x-ghl-signature")
    if ghl_sig:
        signature = _decode(ghl_sig, "X-GHL-Signature")
        # GHL's own SDK rejects any decoded Ed25519 signature that is not 64 bytes long.
        if len(signature) != 64:
            raise SignatureError("X-GHL-Signature must decode to 64 bytes (Ed25519)")
        try:
            _ed25519_key(ed25519_pem).verify(raw_body, signature)
        except BadSignatureError:
            raise SignatureError("X-GHL-Signature does not match the body") from None
        return "ed25519"
    wh_sig = headers.get("x-wh-signature")
    if wh_sig:
        if not rsa_pem:
            raise SignatureError(
                "X-WH-Signature (legacy RSA) received but HUB_WEBHOOK_RSA_PUBLIC_KEY is not set"
            )
        signature = _decode(wh_sig, "X-WH-Signature")
        try:
            _rsa_key(rsa_pem).verify(signature, raw_body, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise SignatureError("X-WH-Signature does not match the body") from None
        return "rsa-sha256"
    raise SignatureError("no X-GHL-Signature or X-WH-Signature header: unsigned deliveries are refused")
