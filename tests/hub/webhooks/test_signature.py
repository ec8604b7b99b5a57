from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from hub.errors import ConfigError, SignatureError
from hub.settings import GHL_ED25519_PUBLIC_KEY
from hub.webhooks.signature import verify_signature

BODY = b'{"type":"ContactCreate","locationId":"Loc1","id":"C1","webhookId":"w-1"}'


def _pem(public_key: ed25519.Ed25519PublicKey | rsa.RSAPublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture(scope="module")
def ed_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ed_sig(key: ed25519.Ed25519PrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body)).decode()


def test_valid_ed25519_signature_verifies(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = {"x-ghl-signature": _ed_sig(ed_key, BODY)}
    assert verify_signature(BODY, headers, ed25519_pem=_pem(ed_key.public_key())) == "ed25519"


def test_one_changed_byte_fails(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = {"x-ghl-signature": _ed_sig(ed_key, BODY)}
    tampered = BODY.replace(b"Loc1", b"Loc2")
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(tampered, headers, ed25519_pem=_pem(ed_key.public_key()))


def test_reserialised_json_fails(ed_key: ed25519.Ed25519PrivateKey) -> None:
    """Verifying json.dumps(json.loads(body)) instead of the raw bytes must not pass (ghl-api §2.2)."""
    import json

    headers = {"x-ghl-signature": _ed_sig(ed_key, BODY)}
    reserialised = json.dumps(json.loads(BODY)).encode()
    assert reserialised != BODY
    with pytest.raises(SignatureError):
        verify_signature(reserialised, headers, ed25519_pem=_pem(ed_key.public_key()))


def test_signature_from_another_key_fails(ed_key: ed25519.Ed25519PrivateKey) -> None:
    headers = {"x-ghl-signature": _ed_sig(ed_key, BODY)}
    with pytest.raises(SignatureError):
        verify_signature(BODY, headers, ed25519_pem=GHL_ED25519_PUBLIC_KEY)


def test_missing_header_is_refused_not_skipped() -> None:
    with pytest.raises(SignatureError, match="no X-GHL-Signature"):
        verify_signature(BODY, {}, ed25519_pem=GHL_ED25519_PUBLIC_KEY)


@pytest.mark.parametrize("bad", ["not base64!!", base64.b64encode(b"short").decode()])
def test_malformed_signature_is_explained(bad: str) -> None:
    with pytest.raises(SignatureError, match="X-GHL-Signature"):
        verify_signature(BODY, {"x-ghl-signature": bad}, ed25519_pem=GHL_ED25519_PUBLIC_KEY)


def test_rsa_fallback(rsa_key: rsa.RSAPrivateKey) -> None:
    sig = base64.b64encode(rsa_key.sign(BODY, padding.PKCS1v15(), hashes.SHA256())).decode()
    pem = _pem(rsa_key.public_key())
    assert (
        verify_signature(BODY, {"x-wh-signature": sig}, ed25519_pem=GHL_ED25519_PUBLIC_KEY, rsa_pem=pem)
        == "rsa-sha256"
    )
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(
            BODY + b" ", {"x-wh-signature": sig}, ed25519_pem=GHL_ED25519_PUBLIC_KEY, rsa_pem=pem
        )


def test_rsa_header_without_configured_key_names_the_setting(rsa_key: rsa.RSAPrivateKey) -> None:
    sig = base64.b64encode(rsa_key.sign(BODY, padding.PKCS1v15(), hashes.SHA256())).decode()
    with pytest.raises(SignatureError, match="HUB_WEBHOOK_RSA_PUBLIC_KEY"):
        verify_signature(BODY, {"x-wh-signature": sig}, ed25519_pem=GHL_ED25519_PUBLIC_KEY)


def test_ghl_published_key_loads() -> None:
    from hub.webhooks.signature import _ed25519_key

    assert len(bytes(_ed25519_key(GHL_ED25519_PUBLIC_KEY))) == 32


def test_bad_configured_key_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="HUB_WEBHOOK_ED25519_PUBLIC_KEY"):
        verify_signature(
            BODY,
            {"x-ghl-signature": base64.b64encode(bytes(64)).decode()},
            ed25519_pem="-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n",
        )
