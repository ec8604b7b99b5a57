"""Registering locations (tenants) and the credentials that belong to each one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hub.store.models import Location
from hub.webhooks.location_secret import hash_secret, new_secret


@dataclass(frozen=True)
class LocationCredentials:
    """Shown once at registration; the store keeps only hashes."""

    location_id: str
    api_key: str
    workflow_secret: str

    def __repr__(self) -> str:  # never print the secrets by accident
        return f"LocationCredentials(location_id={self.location_id!r}, api_key=***, workflow_secret=***)"


def register_location(
    session: Session,
    location_id: str,
    *,
    name: str,
    timezone: str = "UTC",
    postal_address: str | None = None,
) -> LocationCredentials:
    """Create (or re-key) a location and return its fresh API key and workflow-webhook secret."""
    api_key = "hub_" + secrets.token_urlsafe(32)
    workflow_secret = new_secret()
    location = session.get(Location, location_id) or Location(id=location_id)
    location.name = name
    location.timezone = timezone
    location.postal_address = postal_address
    location.api_key_hash = hash_secret(api_key)
    location.workflow_webhook_secret_hash = hash_secret(workflow_secret)
    session.add(location)
    session.flush()
    return LocationCredentials(location_id=location_id, api_key=api_key, workflow_secret=workflow_secret)
