"""Lead-state tests run on SQLite and PostgreSQL (the `session` fixture) with one location."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.hub.leads.payloads import LOC
from tests.hub.store.builders import add_location


@pytest.fixture
def db(session: Session) -> Session:
    """The store session with the test location in it."""
    add_location(session, LOC)
    return session
