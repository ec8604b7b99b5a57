"""The API under test: the real app on a real store (SQLite and PostgreSQL), signed by a test key."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.app import create_app
from hub.settings import DatabaseSettings, ProcessingSettings, Settings, WebhookSettings
from hub.tenancy import LocationCredentials, register_location

SIGNING_KEY = ed25519.Ed25519PrivateKey.generate()
PUBLIC_PEM = (
    SIGNING_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def sign(body: bytes) -> dict[str, str]:
    return {
        "x-ghl-signature": base64.b64encode(SIGNING_KEY.sign(body)).decode(),
        "content-type": "application/json",
    }


def ghl_body(**fields: Any) -> bytes:
    payload: dict[str, Any] = {
        "type": "ContactCreate",
        "locationId": "LocA",
        "id": "C1",
        "webhookId": "wh-1",
        "timestamp": "2026-09-10T16:00:01.310Z",
        "dateAdded": "2026-09-10T16:00:00.000Z",
    }
    payload.update(fields)
    return json.dumps(payload, separators=(",", ":")).encode()


def make_settings(db_url: str, **webhook: Any) -> Settings:
    # Processing needs a Prefect server; these tests are about intake alone (tests/flows covers both).
    return Settings(
        database=DatabaseSettings(url=db_url),
        webhook=WebhookSettings(ed25519_public_key=PUBLIC_PEM, **webhook),
        processing=ProcessingSettings(enabled=False),
    )


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(db_url))) as test_client:
        yield test_client


@pytest.fixture
def location(session: Session) -> LocationCredentials:
    credentials = register_location(session, "LocA", name="Oak Realty", timezone="America/Chicago")
    session.commit()
    return credentials
