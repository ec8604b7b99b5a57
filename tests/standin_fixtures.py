"""The GHL stand-in for tests that reach GHL over real HTTP (GHL is the only fake).

A folder's conftest.py imports the server fixture and resets it before each test with its own
locations and tokens:

    from tests.standin_fixtures import registered, standin_server as standin_server

    @pytest.fixture
    def standin(standin_server: StandinHandle) -> StandinHandle:
        return registered(standin_server, TOKENS)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from hub.ghl.standin import StandinHandle, run_standin_in_thread


@pytest.fixture(scope="module")
def standin_server() -> Iterator[StandinHandle]:
    """One stand-in per test module (starting uvicorn costs ~100 ms)."""
    with run_standin_in_thread() as handle:
        yield handle


def registered(server: StandinHandle, tokens: Mapping[str, str]) -> StandinHandle:
    """`server`, reset, with each location registered under its token."""
    server.admin.reset()
    for location_id, token in tokens.items():
        server.admin.register_location(location_id, token)
    return server
