"""Fixtures for workflow tests: the store (both backends, from tests.store_fixtures), a session
factory on it, and the GHL stand-in over real HTTP with a client for it. GHL is the only fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.ghl.client import GHLClient
from hub.ghl.standin import StandinHandle
from hub.settings import GHLSettings
from hub.store.engine import session_factory
from tests.standin_fixtures import registered
from tests.standin_fixtures import standin_server as standin_server

TOKENS = {"L1": "tok-L1-5c2e", "L2": "tok-L2-9a1b"}


def token_for(location_id: str) -> SecretStr:
    return SecretStr(TOKENS[location_id])


@pytest.fixture
def make_session(store_engine: Engine) -> sessionmaker[Session]:
    """Sessions on the test's store (dispatch_due opens its own, like a worker)."""
    return session_factory(store_engine)


@pytest.fixture
def standin(standin_server: StandinHandle) -> StandinHandle:
    return registered(standin_server, TOKENS)


@pytest.fixture
def ghl(standin: StandinHandle) -> Iterator[GHLClient]:
    settings = GHLSettings(
        base_url=standin.base_url, timeout_s=1.0, max_attempts=2, backoff_max_s=0.05, breaker_fail_max=50
    )
    with GHLClient(settings, token_for, sleep=lambda _s: None) as client:
        yield client
