"""Per-location secrets for routes GHL cannot sign (the workflow "Webhook" action, ghl-api.md §1.1).

Only a SHA-256 of the secret is stored. The secrets are 256-bit random tokens, so a plain hash is
enough: there is nothing to brute-force that a slow password hash would protect.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.store.models import Location


def new_secret() -> str:
    """A fresh URL-safe secret to paste into the GHL workflow action's URL."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def location_for_secret(session: Session, secret: str) -> str | None:
    """The location whose workflow-webhook secret this is, or None."""
    return session.scalar(
        select(Location.id).where(Location.workflow_webhook_secret_hash == hash_secret(secret))
    )
