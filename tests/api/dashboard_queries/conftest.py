"""hub.dashboard's aggregations on real rows, on SQLite and PostgreSQL: the store every panel's
test starts from (this location and another one, whose rows must never leak into its panels)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.api.dashboard_queries.rows import OTHER
from tests.hub.leads import payloads as p
from tests.hub.store.builders import add_location


@pytest.fixture
def db(session: Session) -> Session:
    add_location(session, p.LOC)
    add_location(session, OTHER)
    return session
